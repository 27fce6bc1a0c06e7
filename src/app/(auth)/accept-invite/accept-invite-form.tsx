"use client";

import * as React from "react";
import { Button } from "@/components/ui/button";
import { FormError } from "@/components/app/form";
import { NewPasswordFields, PasswordSet, useLinkToken } from "@/components/app/link-password";
import { useJsonForm } from "@/components/app/use-json-form";
import { ZResetPasswordForm } from "@/components/app/auth-schemas";

/** A staff invitation: the token rides in the link's fragment (never sent to a server); read once, then removed from the address bar. */
export function AcceptInviteForm() {
  const f = useJsonForm({ password: "", confirm: "" });
  const token = useLinkToken();
  const [email, setEmail] = React.useState<string | null>(null);
  const [linkDead, setLinkDead] = React.useState(false);

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
    return <PasswordSet testId="invite-done">Your password is set. Sign in{email ? ` as ${email}` : ""} with it.</PasswordSet>;
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
      <NewPasswordFields bind={f.bind} errors={f.errors} label="Password" />
      <Button type="submit" disabled={f.busy || linkDead}>
        {f.busy ? "Saving…" : "Set my password"}
      </Button>
    </form>
  );
}
