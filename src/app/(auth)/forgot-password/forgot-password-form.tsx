"use client";

import * as React from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { ZForgotPasswordForm } from "@/components/app/auth-schemas";

export function ForgotPasswordForm() {
  const f = useJsonForm({ email: "" });
  const [sent, setSent] = React.useState<string | undefined>();

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    setSent(undefined);
    const r = await f.submit<typeof ZForgotPasswordForm, { message: string }>(ZForgotPasswordForm, f.values, "/api/v1/auth/password/forgot");
    if (r?.ok) setSent(r.data.message);
  }

  return (
    <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
      <FormError message={f.formError} />
      <p role="status" data-testid="forgot-sent" className={sent ? "bg-accent text-accent-foreground rounded-md px-3 py-2 text-sm" : "sr-only"}>
        {sent ?? ""}
      </p>
      <Field id="email" label="Email" error={f.errors.email} required>
        <Input type="email" autoComplete="username" inputMode="email" {...f.bind("email")} />
      </Field>
      <Button type="submit" disabled={f.busy}>
        {f.busy ? "Sending…" : sent ? "Send the link again" : "Send me a reset link"}
      </Button>
      <p className="text-muted-foreground text-center text-sm">
        Remembered it?{" "}
        <Link href="/sign-in" className="text-primary font-medium underline-offset-4 hover:underline">
          Back to sign in
        </Link>
      </p>
    </form>
  );
}
