"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { ZReviewEmergencyAccessRequest } from "@/core/emergency/emergency.types";

/** An admin's review of one break-the-glass grant: appropriate or not, with a note. */
export function ReviewEmergencyForm({ grantId }: { grantId: string }) {
  const router = useRouter();
  const f = useJsonForm({ outcome: "", note: "" });
  const [done, setDone] = React.useState(false);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(ZReviewEmergencyAccessRequest, f.values, `/api/v1/admin/emergency-access/${grantId}/review`);
    if (r?.ok) {
      setDone(true);
      router.refresh();
    }
  }

  if (done) return <p role="status" className="text-sm">Review recorded.</p>;
  return (
    <form onSubmit={onSubmit} noValidate className="grid gap-2" aria-label="Review this emergency access">
      <FormError message={f.formError} />
      <Field id={`outcome-${grantId}`} label="Outcome" error={f.errors.outcome} required>
        <NativeSelect {...f.bind("outcome")}>
          <option value="">Choose…</option>
          <option value="appropriate">Appropriate</option>
          <option value="inappropriate">Inappropriate</option>
        </NativeSelect>
      </Field>
      <Field id={`note-${grantId}`} label="Note" error={f.errors.note}>
        <Textarea rows={2} {...f.bind("note")} />
      </Field>
      <Button type="submit" size="sm" disabled={f.busy}>
        {f.busy ? "Saving…" : "Record review"}
      </Button>
    </form>
  );
}
