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
import { Field, FormError } from "./form";
import { useJsonForm } from "./use-json-form";
import { useTimeZone } from "./time-zone";
import { instantInZone } from "./chart/book-appointment-dialog";

const DURATIONS = [15, 30, 45, 60];

/** A patient asks a provider of their care team for a time; the provider confirms or declines. */
export function RequestAppointmentDialog({ patientId, providers }: { patientId: string; providers: { provider_id: string; full_name: string; role: string }[] }) {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const initial = { provider_id: providers.length === 1 ? providers[0].provider_id : "", starts_at: "", duration: "30", reason: "" };
  const f = useJsonForm(initial);
  const timeZone = useTimeZone();

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const v = f.values;
    // The time typed is the clinic's wall clock, as every time the portal shows (not the browser's zone).
    const start = v.starts_at ? instantInZone(v.starts_at, timeZone) : null;
    const valid = start && !Number.isNaN(start.getTime());
    const body = {
      provider_id: v.provider_id,
      starts_at: valid ? start.toISOString() : "",
      ends_at: valid ? new Date(start.getTime() + Number(v.duration) * 60_000).toISOString() : "",
      reason: v.reason.trim() || null,
    };
    const r = await f.submit(ZCreateAppointmentRequest, body, `/api/v1/patients/${patientId}/appointments`);
    if (r?.ok) {
      toast.success("Appointment requested. Your provider will confirm it.");
      setOpen(false);
      f.setValues(initial);
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button disabled={providers.length === 0}>
          <CalendarPlusIcon aria-hidden />
          Request an appointment
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Request an appointment</DialogTitle>
          <DialogDescription>Times are in the clinic&apos;s time zone ({timeZone}).</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <Field id="ra-provider_id" label="Provider" error={f.errors.provider_id} required>
            <NativeSelect {...f.bind("provider_id")}>
              <option value="">Choose from your care team…</option>
              {providers.map((p) => (
                <option key={p.provider_id} value={p.provider_id}>
                  {p.full_name} ({p.role})
                </option>
              ))}
            </NativeSelect>
          </Field>
          <div className="grid gap-4 sm:grid-cols-[1fr_8rem]">
            <Field id="ra-starts_at" label="Date and time" error={f.errors.starts_at} required>
              <Input type="datetime-local" {...f.bind("starts_at")} />
            </Field>
            <Field id="ra-duration" label="Length" error={f.errors.ends_at}>
              <NativeSelect {...f.bind("duration")}>
                {DURATIONS.map((d) => (
                  <option key={d} value={d}>{d} min</option>
                ))}
              </NativeSelect>
            </Field>
          </div>
          <Field id="ra-reason" label="Reason" error={f.errors.reason}>
            <Textarea rows={3} {...f.bind("reason")} />
          </Field>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" disabled={f.busy}>{f.busy ? "Sending…" : "Send request"}</Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
