"use client";

import * as React from "react";
import Link from "next/link";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { CREDENTIAL_LABELS, PRESCRIBING_CREDENTIALS, PROVIDER_CREDENTIALS } from "@/core/auth/provider-credentials";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { api } from "@/components/app/api-client";
import { MIN_PASSWORD_LENGTH, ZPatientSignUpForm, ZProviderSignUpForm } from "@/components/app/auth-schemas";

type Kind = "provider" | "patient";

/** After sign-up the same credentials open a cookie session, then the start page routes by role. */
async function signInAfterSignUp(email: string, password: string) {
  const r = await api("/api/v1/auth/session", { method: "POST", body: { email, password } });
  window.location.assign(r.ok ? "/" : "/sign-in");
}

export function SignUpForm() {
  const [kind, setKind] = React.useState<Kind>("provider");
  const f = useJsonForm({ full_name: "", email: "", password: "", credential: "", license_number: "", specialty: "", invite_code: "", date_of_birth: "" });
  const { set } = f;

  // Invite links carry the code in the fragment (#invite_code=...), never sent to a server.
  // A link opened in a tab already on this page changes only the fragment (no new page
  // load): hashchange picks it up as well.
  React.useEffect(() => {
    const takeInvite = () => {
      const m = /(?:^|[#&])invite_code=([A-Za-z0-9-]+)/.exec(window.location.hash);
      if (m) {
        setKind("patient");
        set("invite_code", m[1]);
        history.replaceState(null, "", window.location.pathname);
      }
    };
    takeInvite();
    window.addEventListener("hashchange", takeInvite);
    return () => window.removeEventListener("hashchange", takeInvite);
  }, [set]);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const v = f.values;
    const r =
      kind === "provider"
        ? await f.submit(ZProviderSignUpForm, { full_name: v.full_name, email: v.email, password: v.password, credential: v.credential, license_number: v.license_number, specialty: v.specialty }, "/api/v1/auth/signup", "POST", {
            send: (p) => ({ ...p, role: "provider" }),
          })
        : await f.submit(ZPatientSignUpForm, { full_name: v.full_name, email: v.email, password: v.password, invite_code: v.invite_code, date_of_birth: v.date_of_birth }, "/api/v1/auth/signup", "POST", {
            send: (p) => ({ ...p, role: "patient" }),
          });
    if (r?.ok) {
      toast.success("Account created.");
      await signInAfterSignUp(v.email, v.password);
    }
  }

  const common = (
    <>
      <Field id="full_name" label="Full name" error={f.errors.full_name} required>
        <Input autoComplete="name" {...f.bind("full_name")} />
      </Field>
      <Field id="email" label="Email" error={f.errors.email} required>
        <Input type="email" autoComplete="email" {...f.bind("email")} />
      </Field>
      <Field id="password" label="Password" error={f.errors.password} hint={`At least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words work well.`} required>
        <Input type="password" autoComplete="new-password" {...f.bind("password")} />
      </Field>
    </>
  );

  return (
    <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
      <Tabs value={kind} onValueChange={(v) => { setKind(v as Kind); f.setErrors({}); f.setFormError(undefined); }}>
        <TabsList className="w-full">
          <TabsTrigger value="provider" className="flex-1">I am a provider</TabsTrigger>
          <TabsTrigger value="patient" className="flex-1">I am a patient</TabsTrigger>
        </TabsList>
        <TabsContent value="provider" className="grid gap-4 pt-2">
          <FormError message={f.formError} />
          {common}
          <Field
            id="credential"
            label="Professional credential"
            error={f.errors.credential}
            hint={`Only ${PRESCRIBING_CREDENTIALS.map((c) => CREDENTIAL_LABELS[c].toLowerCase()).join(", ")} accounts can write prescriptions.`}
            required
          >
            <NativeSelect {...f.bind("credential")}>
              <option value="">Choose…</option>
              {PROVIDER_CREDENTIALS.map((c) => (
                <option key={c} value={c}>{CREDENTIAL_LABELS[c]}</option>
              ))}
            </NativeSelect>
          </Field>
          <Field id="license_number" label="License number" error={f.errors.license_number} required>
            <Input autoComplete="off" {...f.bind("license_number")} />
          </Field>
          <Field id="specialty" label="Specialty" error={f.errors.specialty} required>
            <Input placeholder="e.g. Family medicine" {...f.bind("specialty")} />
          </Field>
          <p className="text-muted-foreground text-sm">An administrator of your clinic verifies your license before you can see patient records.</p>
        </TabsContent>
        <TabsContent value="patient" className="grid gap-4 pt-2">
          <FormError message={f.formError} />
          <Field id="invite_code" label="Invite code" error={f.errors.invite_code} hint="Your care team gives you this code or a link that fills it in." required>
            <Input autoComplete="off" className="font-mono uppercase" {...f.bind("invite_code")} />
          </Field>
          <Field id="date_of_birth" label="Date of birth" error={f.errors.date_of_birth} hint="As your care team has it on record: the invite works only with it." required>
            <Input type="date" autoComplete="bday" max={new Date().toISOString().slice(0, 10)} {...f.bind("date_of_birth")} />
          </Field>
          {common}
        </TabsContent>
      </Tabs>
      <Button type="submit" disabled={f.busy}>
        {f.busy ? "Creating your account…" : "Create account"}
      </Button>
      <p className="text-muted-foreground text-center text-sm">
        Already have an account?{" "}
        <Link href="/sign-in" className="text-primary font-medium underline-offset-4 hover:underline">
          Sign in
        </Link>
      </p>
    </form>
  );
}
