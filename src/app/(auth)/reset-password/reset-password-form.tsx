"use client";

import * as React from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { MIN_PASSWORD_LENGTH, ZResetPasswordForm } from "@/components/app/auth-schemas";

const linkClass = "text-primary font-medium underline underline-offset-4";

export function ResetPasswordForm() {
  const f = useJsonForm({ password: "", confirm: "" });
  // The token rides in the link's fragment (never sent to a server); read it once, then
  // take it out of the address bar and history.
  const [token, setToken] = React.useState<string | null | undefined>(undefined);
  const [done, setDone] = React.useState(false);
  const [linkDead, setLinkDead] = React.useState(false);

  React.useEffect(() => {
    const t = new URLSearchParams(window.location.hash.slice(1)).get("token");
    if (t) window.history.replaceState(null, "", window.location.pathname);
    setToken(t || null);
  }, []);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(ZResetPasswordForm, f.values, "/api/v1/auth/password/reset", "POST", {
      send: (v) => ({ token, password: v.password }),
      onError: (err) => {
        if (err.code === "invalid_reset_token") setLinkDead(true);
        return false;
      },
    });
    if (r?.ok) setDone(true);
  }

  if (token === undefined) return <p className="text-muted-foreground text-sm">Reading your link…</p>;

  if (done) {
    return (
      <div className="grid gap-4">
        <p role="status" data-testid="reset-done" className="bg-accent text-accent-foreground rounded-md px-3 py-2 text-sm">
          Your password was changed. Sign in with your new password.
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
        This page needs the link from your password reset mail, opened in full.{" "}
        <Link href="/forgot-password" className={linkClass}>Ask for a new link</Link>.
      </p>
    );
  }

  return (
    <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
      <FormError message={f.formError} />
      {linkDead && (
        <p className="text-sm">
          <Link href="/forgot-password" className={linkClass}>Ask for a new link</Link>
        </p>
      )}
      <Field id="password" label="New password" error={f.errors.password} hint={`At least ${MIN_PASSWORD_LENGTH} characters; a few words make a good password.`} required>
        <Input type="password" autoComplete="new-password" {...f.bind("password")} />
      </Field>
      <Field id="confirm" label="New password again" error={f.errors.confirm} required>
        <Input type="password" autoComplete="new-password" {...f.bind("confirm")} />
      </Field>
      <Button type="submit" disabled={f.busy || linkDead}>
        {f.busy ? "Saving…" : "Save the new password"}
      </Button>
    </form>
  );
}
