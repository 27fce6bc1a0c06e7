"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { CalendarPlusIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import { ZCreateAppointmentRequest } from "@/core/clinical/appointments.types";
import { VISIT_TYPE_LABELS, VISIT_TYPES } from "@/core/clinical/visits.types";
import { Field, FormError, type FieldErrors } from "./form";
import { useJsonForm } from "./use-json-form";
import { useTimeZone } from "./time-zone";

/**
 * What the appointment dialogs share: reading a typed time in the clinic's zone, the
 * date-and-length fields, and the new-appointment dialog that the care team's "Book" and
 * the patient's "Request" are two settings of.
 */

/** "YYYY-MM-DDTHH:mm" read as a wall-clock time in `timeZone` (the clinic's), DST-aware. */
export function instantInZone(local: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  const wanted = Date.UTC(y, mo - 1, d, h, mi);
  let t = wanted;
  for (let i = 0; i < 2; i++) {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(t));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    t -= Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute")) - wanted;
  }
  return new Date(t);
}

/** The slot as the API takes it: start in the clinic's zone plus a length in minutes ("" when no valid time was typed). */
export function slot(startsLocal: string, minutes: string, timeZone: string): { starts_at: string; ends_at: string } {
  const start = instantInZone(startsLocal, timeZone);
  const valid = start !== null && !Number.isNaN(start.getTime());
  return { starts_at: valid ? start.toISOString() : "", ends_at: valid ? new Date(start.getTime() + Number(minutes) * 60_000).toISOString() : "" };
}

type Bind = (key: "starts_at" | "duration") => { name: string; value: string; onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => void };

/** Date and time (clinic's zone) beside a length in minutes; the length's error is the API's ends_at. */
export function SlotFields({ idPrefix, bind, errors, durations, startLabel = "Date and time" }: { idPrefix: string; bind: Bind; errors: FieldErrors; durations: number[]; startLabel?: string }) {
  return (
    <div className="grid gap-4 sm:grid-cols-[1fr_8rem]">
      <Field id={`${idPrefix}-starts_at`} label={startLabel} error={errors.starts_at} required>
        <Input type="datetime-local" {...bind("starts_at")} />
      </Field>
      <Field id={`${idPrefix}-duration`} label="Length" error={errors.ends_at}>
        <NativeSelect {...bind("duration")}>
          {durations.map((d) => (
            <option key={d} value={d}>{d} min</option>
          ))}
        </NativeSelect>
      </Field>
    </div>
  );
}

export interface TeamProvider {
  provider_id: string;
  full_name: string;
  role: string;
}

/** One way to ask for a new appointment: the words and defaults differ between staff and patients. */
export interface NewAppointmentSettings {
  idPrefix: string;
  durations: number[];
  initialProvider: string;
  /** Said before the time-zone note ("" for nothing). */
  description: string;
  /** The provider list's empty first option (patients choose; staff start on a provider). */
  providerPlaceholder?: string;
  trigger: { label: string; size?: "sm"; disabled?: boolean };
  title: string;
  submit: { label: string; busy: string };
  success: string;
}

export function NewAppointmentDialog({ patientId, providers, settings: s }: { patientId: string; providers: TeamProvider[]; settings: NewAppointmentSettings }) {
  const router = useRouter();
  const timeZone = useTimeZone();
  const [open, setOpen] = React.useState(false);
  const initial = { provider_id: s.initialProvider, starts_at: "", duration: "30", visit_type: "office", reason: "" };
  const f = useJsonForm(initial);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const v = f.values;
    // The time typed is the clinic's wall clock, as every time the portal shows (not the browser's zone).
    const body = { provider_id: v.provider_id, ...slot(v.starts_at, v.duration, timeZone), visit_type: v.visit_type, reason: v.reason.trim() || null };
    const r = await f.submit(ZCreateAppointmentRequest, body, `/api/v1/patients/${patientId}/appointments`);
    if (r?.ok) {
      toast.success(s.success);
      setOpen(false);
      f.setValues(initial);
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button size={s.trigger.size} disabled={s.trigger.disabled}>
          <CalendarPlusIcon aria-hidden />
          {s.trigger.label}
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{s.title}</DialogTitle>
          <DialogDescription>{`${s.description ? `${s.description} ` : ""}Times are in the clinic's time zone (${timeZone}).`}</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <Field id={`${s.idPrefix}-provider_id`} label="Provider" error={f.errors.provider_id} required>
            <NativeSelect {...f.bind("provider_id")}>
              {s.providerPlaceholder !== undefined && <option value="">{s.providerPlaceholder}</option>}
              {providers.map((p) => (
                <option key={p.provider_id} value={p.provider_id}>
                  {p.full_name} ({p.role})
                </option>
              ))}
            </NativeSelect>
          </Field>
          <SlotFields idPrefix={s.idPrefix} bind={f.bind} errors={f.errors} durations={s.durations} />
          <Field id={`${s.idPrefix}-visit_type`} label="Visit type" error={f.errors.visit_type}>
            <NativeSelect {...f.bind("visit_type")}>
              {VISIT_TYPES.map((t) => (
                <option key={t} value={t}>{t === "telehealth" ? "Video visit (telehealth)" : VISIT_TYPE_LABELS[t]}</option>
              ))}
            </NativeSelect>
          </Field>
          <Field id={`${s.idPrefix}-reason`} label="Reason" error={f.errors.reason}>
            <Textarea rows={3} {...f.bind("reason")} />
          </Field>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" disabled={f.busy}>{f.busy ? s.submit.busy : s.submit.label}</Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
