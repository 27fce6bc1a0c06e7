"use client";

import * as React from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { FormError } from "@/components/app/form";
import { NewPasswordFields, PasswordSet, useLinkToken } from "@/components/app/link-password";
import { useJsonForm } from "@/components/app/use-json-form";
import { ZResetPasswordForm } from "@/components/app/auth-schemas";

const linkClass = "text-primary font-medium underline underline-offset-4";

export function ResetPasswordForm() {
  const f = useJsonForm({ password: "", confirm: "" });
  const token = useLinkToken();
  const [done, setDone] = React.useState(false);
  const [linkDead, setLinkDead] = React.useState(false);

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
    return <PasswordSet testId="reset-done">Your password was changed. Sign in with your new password.</PasswordSet>;
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
      <NewPasswordFields bind={f.bind} errors={f.errors} label="New password" />
      <Button type="submit" disabled={f.busy || linkDead}>
        {f.busy ? "Saving…" : "Save the new password"}
      </Button>
    </form>
  );
}
