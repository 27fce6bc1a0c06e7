"use client";

import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { MIN_PASSWORD_LENGTH, ZChangePasswordForm } from "@/components/app/auth-schemas";

export function ChangePasswordForm() {
  const router = useRouter();
  const f = useJsonForm({ current_password: "", new_password: "", confirm: "" });
  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit<typeof ZChangePasswordForm, { revoked_sessions: number }>(ZChangePasswordForm, f.values, "/api/v1/auth/password", "POST", {
      send: (v) => ({ current_password: v.current_password, new_password: v.new_password }),
    });
    if (r?.ok) {
      f.setValues({ current_password: "", new_password: "", confirm: "" });
      toast.success(`Password changed. ${r.data.revoked_sessions} other session${r.data.revoked_sessions === 1 ? " was" : "s were"} signed out.`);
      // The sessions list on this page is rendered on the server: fetch it again, without the ones just ended.
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }
  return (
    <form method="post" onSubmit={onSubmit} noValidate className="grid max-w-md gap-4">
      <FormError message={f.formError} />
      <Field id="current_password" label="Current password" error={f.errors.current_password} required>
        <Input type="password" autoComplete="current-password" {...f.bind("current_password")} />
      </Field>
      <Field id="new_password" label="New password" error={f.errors.new_password} hint={`At least ${MIN_PASSWORD_LENGTH} characters.`} required>
        <Input type="password" autoComplete="new-password" {...f.bind("new_password")} />
      </Field>
      <Field id="confirm" label="Repeat the new password" error={f.errors.confirm} required>
        <Input type="password" autoComplete="new-password" {...f.bind("confirm")} />
      </Field>
      <div>
        <Button type="submit" disabled={f.busy}>
          {f.busy ? "Saving…" : "Change password"}
        </Button>
      </div>
    </form>
  );
}
