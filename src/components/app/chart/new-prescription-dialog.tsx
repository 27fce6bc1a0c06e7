"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { PlusIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { ZCreatePrescriptionRequest } from "@/core/clinical/prescriptions.types";
import { Field, FormError } from "../form";
import { formatDate } from "../format";
import { useJsonForm } from "../use-json-form";

const today = () => new Date().toLocaleDateString("en-CA");

export function NewPrescriptionDialog({ patientId, visits }: { patientId: string; visits: { id: string; visit_date: string | Date; chief_complaint: string }[] }) {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const initial = { medication: "", dosage: "", frequency: "", start_date: today(), end_date: "", visit_id: "" };
  const f = useJsonForm(initial);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const v = f.values;
    const body = { medication: v.medication, dosage: v.dosage, frequency: v.frequency, start_date: v.start_date, end_date: v.end_date || null, visit_id: v.visit_id || null };
    const r = await f.submit(ZCreatePrescriptionRequest, body, `/api/v1/patients/${patientId}/prescriptions`);
    if (r?.ok) {
      toast.success("Prescription saved.");
      setOpen(false);
      f.setValues({ ...initial, start_date: today() });
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
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
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={f.busy}>
              {f.busy ? "Saving…" : "Prescribe"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
