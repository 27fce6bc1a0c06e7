"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { UserPlusIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { ZCreatePatientRequest } from "@/core/clinical/patients.types";
import { FormError } from "./form";
import { EMPTY_PATIENT_FORM, PatientFields, patientBody } from "./patient-form-fields";
import { useJsonForm } from "./use-json-form";

/** Registers a patient; the server puts the registering provider on the care team as attending. */
export function NewPatientDialog() {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const f = useJsonForm(EMPTY_PATIENT_FORM);
  async function onSubmit(ev: React.FormEvent) {
    ev.preventDefault();
    const r = await f.submit<typeof ZCreatePatientRequest, { id: string }>(ZCreatePatientRequest, patientBody(f.values, { mrn: true }), "/api/v1/patients", "POST", {
      onError: (e) => {
        if (e.code !== "mrn_unavailable") return false;
        f.setErrors({ mrn: e.message });
        f.setFormError(e.message);
        return true;
      },
    });
    if (r?.ok) {
      toast.success("Patient registered.");
      setOpen(false);
      f.setValues(EMPTY_PATIENT_FORM);
      router.push(`/patients/${r.data.id}`);
    } else if (r && !r.ok) {
      toast.error(r.error.message);
    }
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <UserPlusIcon aria-hidden />
          New patient
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-2xl">
        <DialogHeader>
          <DialogTitle>New patient</DialogTitle>
          <DialogDescription>You join the patient&apos;s care team as attending. Fields marked * are required.</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-5" id="new-patient-form">
          <FormError message={f.formError} />
          <PatientFields f={f} idPrefix="np" withMrn />
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={f.busy}>
              {f.busy ? "Registering…" : "Register patient"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
