"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { ShieldOffIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Textarea } from "@/components/ui/textarea";
import { ZResetMfaRequest } from "@/core/auth/reset-mfa.types";
import { Field, FormError } from "../form";
import { useJsonForm } from "../use-json-form";

/** An admin removes another account's two-step verification (lost phone), with a reason kept in the audit trail. */
export function ResetMfaDialog({ userId, name }: { userId: string; name: string }) {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const f = useJsonForm({ reason: "" });
  const fieldId = `reset-mfa-reason-${userId}`;

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(ZResetMfaRequest, { reason: f.values.reason }, `/api/v1/admin/users/${userId}/mfa/reset`, "POST");
    if (r?.ok) {
      toast.success(`${name}'s two-step verification is reset; they are signed out everywhere.`);
      setOpen(false);
      f.setValues({ reason: "" });
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button size="sm" variant="outline" aria-label={`Reset two-step verification of ${name}`}>
          <ShieldOffIcon aria-hidden />
          Reset 2FA
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Reset {name}&apos;s two-step verification?</DialogTitle>
          <DialogDescription>
            Their authenticator and recovery codes stop working and every session they have is signed out. They sign in with
            their password alone and set up two-step verification again (providers must, if the clinic requires it). Check who
            is asking before you do this: your reason is recorded in the audit trail.
          </DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <Field id={fieldId} label="Reason" error={f.errors.reason} hint="For example: “Lost phone; identity checked in person”." required>
            <Textarea rows={2} maxLength={200} {...f.bind("reason")} />
          </Field>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="destructive" disabled={f.busy}>
              {f.busy ? "Resetting…" : "Reset two-step verification"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
