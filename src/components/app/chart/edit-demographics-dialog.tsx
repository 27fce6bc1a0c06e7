"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { PencilIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { ZUpdatePatientRequest } from "@/core/clinical/patients.types";
import { FormError } from "../form";
import { PatientFields, patientBody, patientFormValues } from "../patient-form-fields";
import { useJsonForm } from "../use-json-form";

type Demographics = Parameters<typeof patientFormValues>[0];

/**
 * Edits a patient's demographics (care team and admins; the database decides). Sends every
 * field, so a cleared group (no insurance any more) is saved as cleared. What was typed stays
 * in the form when the server refuses it; closing and reopening starts from the saved record.
 */
export function EditDemographicsDialog({ patientId, patient }: { patientId: string; patient: Demographics }) {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const f = useJsonForm(patientFormValues(patient));

  function onOpenChange(next: boolean) {
    // Reopening after a save or a cancel starts from the record as saved; a refusal
    // keeps the dialog open with what was typed.
    if (next) {
      f.setValues(patientFormValues(patient));
      f.setErrors({});
      f.setFormError(undefined);
    }
    setOpen(next);
  }

  async function onSubmit(ev: React.FormEvent) {
    ev.preventDefault();
    const r = await f.submit<typeof ZUpdatePatientRequest, { id: string }>(ZUpdatePatientRequest, patientBody(f.values, { mrn: false }), `/api/v1/patients/${patientId}`, "PATCH");
    if (r?.ok) {
      toast.success("Demographics saved.");
      setOpen(false);
      router.refresh();
    } else if (r && !r.ok) {
      toast.error(r.error.message);
    }
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="outline">
          <PencilIcon aria-hidden />
          Edit demographics
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-2xl">
        <DialogHeader>
          <DialogTitle>Edit demographics</DialogTitle>
          <DialogDescription>Changes are saved to the chart and recorded in the audit trail. Fields marked * are required.</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-5" id="edit-demographics-form">
          <FormError message={f.formError} />
          <PatientFields f={f} idPrefix="ed" withMrn={false} />
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={f.busy}>
              {f.busy ? "Saving…" : "Save changes"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
