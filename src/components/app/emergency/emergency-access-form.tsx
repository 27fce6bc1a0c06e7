"use client";

import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { Field, FormError } from "@/components/app/form";
import { useJsonForm } from "@/components/app/use-json-form";
import { ZOpenEmergencyAccessRequest } from "@/core/emergency/emergency.types";

/** Break-the-glass: MRN and date of birth (both must match) and the reason; on success, the chart. */
export function EmergencyAccessForm({ minutes }: { minutes: number }) {
  const router = useRouter();
  const f = useJsonForm({ mrn: "", date_of_birth: "", reason: "" });

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit<typeof ZOpenEmergencyAccessRequest, { id: string; patient_id: string }>(ZOpenEmergencyAccessRequest, f.values, "/api/v1/emergency-access", "POST", {
      onError: (err) => {
        if (err.status === 404) {
          f.setFormError("No patient matches this MRN and date of birth, or you cannot open emergency access. Check both and try again.");
          return true;
        }
        return false;
      },
    });
    if (r?.ok) router.push(`/patients/${r.data.patient_id}`);
  }

  return (
    <form onSubmit={onSubmit} noValidate className="grid gap-4" aria-describedby="emergency-form-note">
      <p id="emergency-form-note" className="text-muted-foreground text-sm">
        Access is read-only and lasts {minutes} minutes. The patient&apos;s care team is told at once, the patient sees it in their access log, and an administrator reviews it.
      </p>
      <FormError message={f.formError} />
      <Field id="emergency-mrn" label="Medical record number (MRN)" error={f.errors.mrn} required>
        <Input autoComplete="off" {...f.bind("mrn")} />
      </Field>
      <Field id="emergency-dob" label="Date of birth" error={f.errors.date_of_birth} required>
        <Input type="date" {...f.bind("date_of_birth")} />
      </Field>
      <Field id="emergency-reason" label="Reason" hint="At least 10 characters: why the chart is needed now." error={f.errors.reason} required>
        <Textarea rows={3} {...f.bind("reason")} />
      </Field>
      <Button type="submit" variant="destructive" disabled={f.busy}>
        {f.busy ? "Opening…" : "Open emergency access"}
      </Button>
    </form>
  );
}
