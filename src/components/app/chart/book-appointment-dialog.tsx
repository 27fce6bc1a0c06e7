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
import { ZCreateAppointmentRequest, ZRescheduleAppointmentRequest } from "@/core/clinical/appointments.types";
import { Field, FormError } from "../form";
import { useJsonForm } from "../use-json-form";
import { useTimeZone } from "../time-zone";

const DURATIONS = [15, 20, 30, 45, 60, 90];

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

/** The slot as the API takes it: start in the clinic's zone plus a length in minutes. */
function slot(startsLocal: string, minutes: string, timeZone: string) {
  const start = instantInZone(startsLocal, timeZone);
  return { starts_at: start ? start.toISOString() : "", ends_at: start ? new Date(start.getTime() + Number(minutes) * 60_000).toISOString() : "" };
}

/** A care-team member books a time for the patient with a team provider: confirmed at once. */
export function BookAppointmentDialog({
  patientId,
  providers,
  selfId,
}: {
  patientId: string;
  providers: { provider_id: string; full_name: string; role: string }[];
  selfId: string;
}) {
  const router = useRouter();
  const timeZone = useTimeZone();
  const [open, setOpen] = React.useState(false);
  const initial = { provider_id: providers.some((p) => p.provider_id === selfId) ? selfId : (providers[0]?.provider_id ?? ""), starts_at: "", duration: "30", reason: "" };
  const f = useJsonForm(initial);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const v = f.values;
    const body = { provider_id: v.provider_id, ...slot(v.starts_at, v.duration, timeZone), reason: v.reason.trim() || null };
    const r = await f.submit(ZCreateAppointmentRequest, body, `/api/v1/patients/${patientId}/appointments`);
    if (r?.ok) {
      toast.success("Appointment booked.");
      setOpen(false);
      f.setValues(initial);
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button size="sm">
          <CalendarPlusIcon aria-hidden />
          Book appointment
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Book an appointment</DialogTitle>
          <DialogDescription>Confirmed at once. Times are in the clinic&apos;s time zone ({timeZone}).</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <Field id="ba-provider_id" label="Provider" error={f.errors.provider_id} required>
            <NativeSelect {...f.bind("provider_id")}>
              {providers.map((p) => (
                <option key={p.provider_id} value={p.provider_id}>
                  {p.full_name} ({p.role})
                </option>
              ))}
            </NativeSelect>
          </Field>
          <div className="grid gap-4 sm:grid-cols-[1fr_8rem]">
            <Field id="ba-starts_at" label="Date and time" error={f.errors.starts_at} required>
              <Input type="datetime-local" {...f.bind("starts_at")} />
            </Field>
            <Field id="ba-duration" label="Length" error={f.errors.ends_at}>
              <NativeSelect {...f.bind("duration")}>
                {DURATIONS.map((d) => (
                  <option key={d} value={d}>{d} min</option>
                ))}
              </NativeSelect>
            </Field>
          </div>
          <Field id="ba-reason" label="Reason" error={f.errors.reason}>
            <Textarea rows={3} {...f.bind("reason")} />
          </Field>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" disabled={f.busy}>{f.busy ? "Booking…" : "Book"}</Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

/** Moves a requested or confirmed appointment (care team); a clash with a confirmed slot is refused. */
export function RescheduleAppointmentDialog({ appointmentId, label }: { appointmentId: string; label: string }) {
  const router = useRouter();
  const timeZone = useTimeZone();
  const [open, setOpen] = React.useState(false);
  const initial = { starts_at: "", duration: "30" };
  const f = useJsonForm(initial);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(ZRescheduleAppointmentRequest, slot(f.values.starts_at, f.values.duration, timeZone), `/api/v1/appointments/${appointmentId}`, "PATCH");
    if (r?.ok) {
      toast.success("Appointment moved.");
      setOpen(false);
      f.setValues(initial);
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button size="sm" variant="outline" aria-label={`Reschedule ${label}`}>Reschedule</Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Reschedule the appointment</DialogTitle>
          <DialogDescription>Times are in the clinic&apos;s time zone ({timeZone}).</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <div className="grid gap-4 sm:grid-cols-[1fr_8rem]">
            <Field id={`rs-${appointmentId}-starts_at`} label="New date and time" error={f.errors.starts_at} required>
              <Input type="datetime-local" {...f.bind("starts_at")} />
            </Field>
            <Field id={`rs-${appointmentId}-duration`} label="Length" error={f.errors.ends_at}>
              <NativeSelect {...f.bind("duration")}>
                {DURATIONS.map((d) => (
                  <option key={d} value={d}>{d} min</option>
                ))}
              </NativeSelect>
            </Field>
          </div>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>Keep the time</Button>
            <Button type="submit" disabled={f.busy}>{f.busy ? "Moving…" : "Move"}</Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
