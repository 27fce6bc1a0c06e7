"use client";

import * as React from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { MIN_PASSWORD_LENGTH, ZResetPasswordForm } from "@/components/app/auth-schemas";

/** A staff invitation: the token rides in the link's fragment (never sent to a server); read once, then removed from the address bar. */
export function AcceptInviteForm() {
  const f = useJsonForm({ password: "", confirm: "" });
  const [token, setToken] = React.useState<string | null | undefined>(undefined);
  const [email, setEmail] = React.useState<string | null>(null);
  const [linkDead, setLinkDead] = React.useState(false);

  React.useEffect(() => {
    const t = new URLSearchParams(window.location.hash.slice(1)).get("token");
    if (t) window.history.replaceState(null, "", window.location.pathname);
    setToken(t || null);
  }, []);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit<typeof ZResetPasswordForm, { email: string }>(ZResetPasswordForm, f.values, "/api/v1/auth/invite/accept", "POST", {
      send: (v) => ({ token, password: v.password }),
      onError: (err) => {
        if (err.code === "invalid_link") setLinkDead(true);
        return false;
      },
    });
    if (r?.ok) setEmail(r.data.email);
  }

  if (token === undefined) return <p className="text-muted-foreground text-sm">Reading your link…</p>;

  if (email !== null) {
    return (
      <div className="grid gap-4">
        <p role="status" data-testid="invite-done" className="bg-accent text-accent-foreground rounded-md px-3 py-2 text-sm">
          Your password is set. Sign in{email ? ` as ${email}` : ""} with it.
        </p>
        <Button asChild>
          <Link href="/sign-in">Sign in</Link>
        </Button>
      </div>
    );
  }

  if (token === null) {
    return (
      <p role="alert" className="text-sm">
        This page needs the link from your invitation mail, opened in full. If it does not work, ask the clinic&apos;s administrator to send the invitation again.
      </p>
    );
  }

  return (
    <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
      <FormError message={f.formError} />
      <Field id="password" label="Password" error={f.errors.password} hint={`At least ${MIN_PASSWORD_LENGTH} characters; a few words make a good password.`} required>
        <Input type="password" autoComplete="new-password" {...f.bind("password")} />
      </Field>
      <Field id="confirm" label="Password again" error={f.errors.confirm} required>
        <Input type="password" autoComplete="new-password" {...f.bind("confirm")} />
      </Field>
      <Button type="submit" disabled={f.busy || linkDead}>
        {f.busy ? "Saving…" : "Set my password"}
      </Button>
    </form>
  );
}
