"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { PlusIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { NativeSelect } from "@/components/ui/native-select";
import { VISIT_TYPE_LABELS, VISIT_TYPES, ZCreateVisitRequest } from "@/core/clinical/visits.types";
import { Field, FormError } from "../form";
import { useJsonForm } from "../use-json-form";

function localNow(): string {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

const VITALS = [
  { key: "blood_pressure", label: "Blood pressure", hint: "e.g. 120/80", numeric: false },
  { key: "heart_rate", label: "Heart rate (bpm)", numeric: true },
  { key: "temperature_c", label: "Temperature (°C)", numeric: true },
  { key: "respiratory_rate", label: "Respiratory rate (/min)", numeric: true },
  { key: "spo2", label: "SpO₂ (%)", numeric: true },
  { key: "weight_kg", label: "Weight (kg)", numeric: true },
  { key: "height_cm", label: "Height (cm)", numeric: true },
] as const;

export function NewVisitDialog({ patientId }: { patientId: string }) {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const initial = { visit_date: localNow(), visit_type: "office", chief_complaint: "", diagnosis: "", notes: "", blood_pressure: "", heart_rate: "", temperature_c: "", respiratory_rate: "", spo2: "", weight_kg: "", height_cm: "" };
  const f = useJsonForm(initial);
  const v = f.values;

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const vitals: Record<string, unknown> = {};
    for (const x of VITALS) {
      const raw = String(v[x.key]).trim();
      if (raw) vitals[x.key] = x.numeric ? Number(raw.replace(",", ".")) : raw;
    }
    const local = new Date(v.visit_date);
    const body = {
      visit_date: Number.isNaN(local.getTime()) ? v.visit_date : local.toISOString(),
      visit_type: v.visit_type,
      chief_complaint: v.chief_complaint,
      diagnosis: v.diagnosis.trim() || null,
      notes: v.notes.trim() || null,
      vitals: Object.keys(vitals).length ? vitals : null,
    };
    const r = await f.submit(ZCreateVisitRequest, body, `/api/v1/patients/${patientId}/visits`);
    if (r?.ok) {
      toast.success("Visit recorded.");
      setOpen(false);
      f.setValues({ ...initial, visit_date: localNow() });
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button size="sm">
          <PlusIcon aria-hidden />
          New visit
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-2xl">
        <DialogHeader>
          <DialogTitle>New visit</DialogTitle>
          <DialogDescription>Recorded in your name. Vitals are optional.</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <div className="grid gap-4 sm:grid-cols-2">
            <Field id="nv-visit_date" label="Date and time" error={f.errors.visit_date} required>
              <Input type="datetime-local" {...f.bind("visit_date")} />
            </Field>
            <Field id="nv-chief_complaint" label="Chief complaint" error={f.errors.chief_complaint} required>
              <Input {...f.bind("chief_complaint")} />
            </Field>
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field id="nv-visit_type" label="Visit type" error={f.errors.visit_type} required>
              <NativeSelect {...f.bind("visit_type")}>
                {VISIT_TYPES.map((t) => (
                  <option key={t} value={t}>{VISIT_TYPE_LABELS[t]}</option>
                ))}
              </NativeSelect>
            </Field>
            <Field id="nv-diagnosis" label="Diagnosis" error={f.errors.diagnosis}>
              <Input {...f.bind("diagnosis")} />
            </Field>
          </div>
          <Field id="nv-notes" label="Notes" error={f.errors.notes}>
            <Textarea rows={4} {...f.bind("notes")} />
          </Field>
          <fieldset className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            <legend className="mb-2 text-sm font-semibold">Vitals</legend>
            {VITALS.map((x) => (
              <Field key={x.key} id={`nv-${x.key}`} label={x.label} error={f.errors[`vitals.${x.key}`]}>
                <Input inputMode={x.numeric ? "decimal" : "text"} placeholder={"hint" in x ? x.hint : undefined} {...f.bind(x.key)} />
              </Field>
            ))}
          </fieldset>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={f.busy}>
              {f.busy ? "Saving…" : "Save visit"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
