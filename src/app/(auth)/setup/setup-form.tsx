"use client";

import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { api } from "@/components/app/api-client";
import { MIN_PASSWORD_LENGTH, ZSetupForm } from "@/components/app/auth-schemas";

export function SetupForm() {
  const f = useJsonForm({ full_name: "", email: "", password: "" });
  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(ZSetupForm, f.values, "/api/v1/setup");
    if (r?.ok) {
      toast.success("Administrator created. Next: turn on two-factor authentication.");
      const s = await api("/api/v1/auth/session", { method: "POST", body: { email: f.values.email, password: f.values.password } });
      window.location.assign(s.ok ? "/account?setup=1" : "/sign-in");
    } else if (r && !r.ok && r.error.status === 409) {
      window.location.assign("/sign-in");
    }
  }
  return (
    <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
      <FormError message={f.formError} />
      <Field id="full_name" label="Your full name" error={f.errors.full_name} required>
        <Input autoComplete="name" {...f.bind("full_name")} />
      </Field>
      <Field id="email" label="Email" error={f.errors.email} required>
        <Input type="email" autoComplete="email" {...f.bind("email")} />
      </Field>
      <Field id="password" label="Password" error={f.errors.password} hint={`At least ${MIN_PASSWORD_LENGTH} characters.`} required>
        <Input type="password" autoComplete="new-password" {...f.bind("password")} />
      </Field>
      <Button type="submit" disabled={f.busy}>
        {f.busy ? "Creating…" : "Create the administrator"}
      </Button>
    </form>
  );
}
