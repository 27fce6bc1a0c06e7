"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { UserPlusIcon } from "lucide-react";
import { toast } from "sonner";
import { z } from "zod";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { CREDENTIAL_LABELS, PRESCRIBING_CREDENTIALS, PROVIDER_CREDENTIALS } from "@/core/auth/provider-credentials";
import { Field, FormError } from "../form";
import { useJsonForm } from "../use-json-form";

/** What the form checks before sending; the server checks everything again (the same rules as POST /api/v1/admin/users). */
const ZAddUserForm = z.object({
  email: z.email("must be a valid email address").trim(),
  full_name: z.string().trim().min(1, "is required").max(200),
  role: z.enum(["provider", "admin"]),
  credential: z.string(),
  license_number: z.string().trim(),
  specialty: z.string().trim(),
  how: z.enum(["invite", "password"]),
  password: z.string(),
});

/**
 * An admin adds a staff member or another admin: either invited by mail (they choose their
 * password through a single-use link, 72 hours; the default) or with a password the admin
 * sets now and hands over. Providers added here are verified at once.
 */
export function AddUserDialog() {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const refreshOnClose = React.useRef(false);
  const empty = { email: "", full_name: "", role: "provider", credential: "physician", license_number: "", specialty: "", how: "invite", password: "" };
  const f = useJsonForm(empty);
  const provider = f.values.role === "provider";

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(ZAddUserForm, f.values, "/api/v1/admin/users", "POST", {
      send: (v) => ({
        email: v.email,
        full_name: v.full_name,
        role: v.role,
        ...(v.role === "provider" ? { credential: v.credential, license_number: v.license_number || undefined, specialty: v.specialty || undefined } : {}),
        ...(v.how === "password" ? { password: v.password } : {}),
      }),
    });
    if (r?.ok) {
      toast.success(f.values.how === "invite" ? `${f.values.full_name} is added; an invitation is on its way to ${f.values.email}.` : `${f.values.full_name} is added and can sign in.`);
      refreshOnClose.current = true;
      setOpen(false);
      f.setValues(empty);
    }
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <UserPlusIcon aria-hidden />
          Add staff or admin
        </Button>
      </DialogTrigger>
      <DialogContent
        className="max-h-[90dvh] overflow-y-auto"
        onCloseAutoFocus={() => {
          if (!refreshOnClose.current) return;
          refreshOnClose.current = false;
          router.refresh();
        }}
      >
        <DialogHeader>
          <DialogTitle>Add staff or admin</DialogTitle>
          <DialogDescription>Patients join by the invitation their care team sends from the chart.</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <Field id="add-user-name" label="Full name" error={f.errors.full_name} required>
            <Input autoComplete="off" {...f.bind("full_name")} />
          </Field>
          <Field id="add-user-email" label="Email" error={f.errors.email} required>
            <Input type="email" autoComplete="off" {...f.bind("email")} />
          </Field>
          <Field id="add-user-role" label="Role" error={f.errors.role} required>
            <NativeSelect {...f.bind("role")}>
              <option value="provider">Provider (clinical staff)</option>
              <option value="admin">Administrator</option>
            </NativeSelect>
          </Field>
          {provider && (
            <>
              <Field id="add-user-credential" label="Credential" error={f.errors.credential} hint="Only physicians, nurse practitioners and physician assistants prescribe." required>
                <NativeSelect {...f.bind("credential")}>
                  {PROVIDER_CREDENTIALS.map((c) => (
                    <option key={c} value={c}>
                      {CREDENTIAL_LABELS[c]}{PRESCRIBING_CREDENTIALS.includes(c) ? " (prescribes)" : ""}
                    </option>
                  ))}
                </NativeSelect>
              </Field>
              <Field id="add-user-license" label="License number" error={f.errors.license_number} required>
                <Input autoComplete="off" {...f.bind("license_number")} />
              </Field>
              <Field id="add-user-specialty" label="Specialty" error={f.errors.specialty} required>
                <Input autoComplete="off" {...f.bind("specialty")} />
              </Field>
            </>
          )}
          <fieldset className="grid gap-2">
            <legend className="mb-1 text-sm font-medium">How they get in</legend>
            <label className="flex items-start gap-2 text-sm">
              <input type="radio" name="add-user-how" value="invite" className="accent-primary mt-0.5 size-4" checked={f.values.how === "invite"} onChange={() => f.set("how", "invite")} />
              <span>Send an invitation by mail: they choose their own password (the link works once, for 72 hours).</span>
            </label>
            <label className="flex items-start gap-2 text-sm">
              <input type="radio" name="add-user-how" value="password" className="accent-primary mt-0.5 size-4" checked={f.values.how === "password"} onChange={() => f.set("how", "password")} />
              <span>Set a password now and give it to them.</span>
            </label>
          </fieldset>
          {f.values.how === "password" && (
            <Field id="add-user-password" label="Password" error={f.errors.password} hint="At least 12 characters; a few words make a good password." required>
              <Input type="password" autoComplete="new-password" {...f.bind("password")} />
            </Field>
          )}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={f.busy}>
              {f.busy ? "Adding…" : f.values.how === "invite" ? "Add and send invitation" : "Add"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
