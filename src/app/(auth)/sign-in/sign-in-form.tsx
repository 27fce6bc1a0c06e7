"use client";

import * as React from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { ZSignInForm } from "@/components/app/auth-schemas";

export function SignInForm({ notice, returnTo }: { notice?: string; returnTo?: string }) {
  const f = useJsonForm({ email: "", password: "", code: "" });
  const [step, setStep] = React.useState<"password" | "mfa">("password");
  const [useRecovery, setUseRecovery] = React.useState(false);
  const codeRef = React.useRef<HTMLInputElement>(null);

  React.useEffect(() => {
    if (step === "mfa") codeRef.current?.focus();
  }, [step, useRecovery]);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const body: Record<string, string> = { email: f.values.email, password: f.values.password };
    if (step === "mfa") {
      if (!f.values.code.trim()) {
        f.setErrors({ code: "is required" });
        return;
      }
      body[useRecovery ? "recovery_code" : "totp_code"] = f.values.code.trim();
    }
    const r = await f.submit(ZSignInForm.loose(), body, "/api/v1/auth/session", "POST", {
      onError: (err) => {
        if (err.code === "mfa_required" && step === "password") {
          setStep("mfa");
          f.setFormError(undefined);
          return true;
        }
        return false;
      },
    });
    if (r?.ok) window.location.assign(returnTo ?? "/");
  }

  return (
    <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
      {notice && (
        <p role="status" className="bg-accent text-accent-foreground rounded-md px-3 py-2 text-sm">
          {notice}
        </p>
      )}
      <FormError message={f.formError} />
      <Field id="email" label="Email" error={f.errors.email} required>
        <Input type="email" autoComplete="username" readOnly={step === "mfa"} {...f.bind("email")} />
      </Field>
      <Field id="password" label="Password" error={f.errors.password} required>
        <Input type="password" autoComplete="current-password" readOnly={step === "mfa"} {...f.bind("password")} />
      </Field>
      {step === "password" && (
        <p className="-mt-2 text-right text-sm">
          <Link href="/forgot-password" className="text-primary font-medium underline-offset-4 hover:underline">
            Forgot password?
          </Link>
        </p>
      )}
      {step === "mfa" && (
        <Field
          id="code"
          label={useRecovery ? "Recovery code" : "Authentication code"}
          error={f.errors.code ?? f.errors.totp_code ?? f.errors.recovery_code}
          hint={useRecovery ? "One of the recovery codes you saved when you turned on two-factor authentication." : "The 6-digit code from your authenticator app."}
          required
        >
          <Input
            ref={codeRef}
            inputMode={useRecovery ? "text" : "numeric"}
            autoComplete="one-time-code"
            {...f.bind("code")}
          />
        </Field>
      )}
      <Button type="submit" disabled={f.busy}>
        {f.busy ? "Signing in…" : step === "mfa" ? "Verify and sign in" : "Sign in"}
      </Button>
      {step === "mfa" && (
        <Button type="button" variant="link" className="h-auto p-0" onClick={() => { setUseRecovery((v) => !v); f.set("code", ""); }}>
          {useRecovery ? "Use a code from your authenticator app" : "Use a recovery code instead"}
        </Button>
      )}
      <p className="text-muted-foreground text-center text-sm">
        New here?{" "}
        <Link href="/sign-up" className="text-primary font-medium underline-offset-4 hover:underline">
          Create an account
        </Link>
      </p>
    </form>
  );
}
