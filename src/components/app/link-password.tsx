"use client";

import * as React from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { MIN_PASSWORD_LENGTH } from "./auth-schemas";
import { Field, type FieldErrors } from "./form";

/**
 * What the two "choose a password from a mailed link" pages share (a staff invitation, a
 * password reset): the token, the two password fields, and the answer once it is set.
 */

/**
 * The token of the link this page was opened with. It rides in the fragment (never sent to
 * a server); read once, then taken out of the address bar and history. undefined until
 * read, null when the link carried none.
 */
export function useLinkToken(): string | null | undefined {
  const [token, setToken] = React.useState<string | null | undefined>(undefined);
  React.useEffect(() => {
    const t = new URLSearchParams(window.location.hash.slice(1)).get("token");
    if (t) window.history.replaceState(null, "", window.location.pathname);
    setToken(t || null);
  }, []);
  return token;
}

type Bind = (key: "password" | "confirm") => { name: string; value: string; onChange: (e: React.ChangeEvent<HTMLInputElement>) => void };

/** A new password, typed twice. */
export function NewPasswordFields({ bind, errors, label }: { bind: Bind; errors: FieldErrors; label: string }) {
  return (
    <>
      <Field id="password" label={label} error={errors.password} hint={`At least ${MIN_PASSWORD_LENGTH} characters; a few words make a good password.`} required>
        <Input type="password" autoComplete="new-password" {...bind("password")} />
      </Field>
      <Field id="confirm" label={`${label} again`} error={errors.confirm} required>
        <Input type="password" autoComplete="new-password" {...bind("confirm")} />
      </Field>
    </>
  );
}

/** The password is set: say so, and offer the way to sign in. */
export function PasswordSet({ testId, children }: { testId: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-4">
      <p role="status" data-testid={testId} className="bg-accent text-accent-foreground rounded-md px-3 py-2 text-sm">
        {children}
      </p>
      <Button asChild>
        <Link href="/sign-in">Sign in</Link>
      </Button>
    </div>
  );
}
