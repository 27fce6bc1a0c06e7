"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { PlusIcon, TriangleAlertIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { NativeSelect } from "@/components/ui/native-select";
import { ZCreatePrescriptionRequest } from "@/core/clinical/prescriptions.types";
import { Field, FormError } from "../form";
import { dayInZone, formatDate } from "../format";
import { useTimeZone } from "../time-zone";
import { useJsonForm } from "../use-json-form";


export function NewPrescriptionDialog({ patientId, visits }: { patientId: string; visits: { id: string; visit_date: string | Date; chief_complaint: string }[] }) {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const timeZone = useTimeZone();
  /** Today in the clinic (the same on the server and in the browser). */
  const today = () => dayInZone(new Date(), timeZone);
  const initial = { medication: "", dosage: "", frequency: "", start_date: today(), end_date: "", visit_id: "", allergy_override_reason: "" };
  const f = useJsonForm(initial);
  /** The server's allergy warning for the medication as typed; cleared when the medication changes. */
  const [conflict, setConflict] = React.useState<{ medication: string; message: string } | null>(null);
  const conflictShown = conflict !== null && conflict.medication === f.values.medication;

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const v = f.values;
    const body = {
      medication: v.medication, dosage: v.dosage, frequency: v.frequency, start_date: v.start_date, end_date: v.end_date || null, visit_id: v.visit_id || null,
      allergy_override_reason: conflictShown ? v.allergy_override_reason : null,
    };
    const r = await f.submit(ZCreatePrescriptionRequest, body, `/api/v1/patients/${patientId}/prescriptions`, "POST", {
      onError: (err) => {
        if (err.code !== "allergy_conflict") return false;
        setConflict({ medication: v.medication, message: err.message });
        return true;
      },
    });
    if (r?.ok) {
      toast.success("Prescription saved.");
      setOpen(false);
      setConflict(null);
      f.setValues({ ...initial, start_date: today() });
      router.refresh();
    } else if (r && !r.ok && r.error.code !== "allergy_conflict") toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button size="sm">
          <PlusIcon aria-hidden />
          New prescription
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>New prescription</DialogTitle>
          <DialogDescription>Prescribed in your name; the patient sees it in their portal.</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <Field id="rx-medication" label="Medication" error={f.errors.medication} required>
            <Input {...f.bind("medication")} />
          </Field>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field id="rx-dosage" label="Dosage" error={f.errors.dosage} required>
              <Input placeholder="e.g. 500 mg" {...f.bind("dosage")} />
            </Field>
            <Field id="rx-frequency" label="Frequency" error={f.errors.frequency} required>
              <Input placeholder="e.g. twice daily" {...f.bind("frequency")} />
            </Field>
            <Field id="rx-start_date" label="Start date" error={f.errors.start_date} required>
              <Input type="date" {...f.bind("start_date")} />
            </Field>
            <Field id="rx-end_date" label="End date" error={f.errors.end_date}>
              <Input type="date" {...f.bind("end_date")} />
            </Field>
          </div>
          {visits.length > 0 && (
            <Field id="rx-visit_id" label="For visit" error={f.errors.visit_id}>
              <NativeSelect {...f.bind("visit_id")}>
                <option value="">Not linked to a visit</option>
                {visits.slice(0, 20).map((vi) => (
                  <option key={vi.id} value={vi.id}>
                    {formatDate(vi.visit_date)} — {vi.chief_complaint.slice(0, 60)}
                  </option>
                ))}
              </NativeSelect>
            </Field>
          )}
          {conflictShown && (
            <>
              <Alert variant="destructive">
                <TriangleAlertIcon aria-hidden />
                <AlertTitle>Allergy conflict</AlertTitle>
                <AlertDescription>{conflict.message}</AlertDescription>
              </Alert>
              <Field
                id="rx-allergy_override_reason"
                label="Reason for overriding the allergy"
                error={f.errors.allergy_override_reason}
                hint="Kept on the prescription and in the audit trail."
                required
              >
                <Textarea rows={3} maxLength={1000} {...f.bind("allergy_override_reason")} />
              </Field>
            </>
          )}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant={conflictShown ? "destructive" : "default"} disabled={f.busy}>
              {f.busy ? "Saving…" : conflictShown ? "Prescribe despite the allergy" : "Prescribe"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
