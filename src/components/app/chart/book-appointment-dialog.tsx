"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { ZRescheduleAppointmentRequest } from "@/core/clinical/appointments.types";
import { NewAppointmentDialog, slot, SlotFields, type TeamProvider } from "../appointment-form";
import { FormError } from "../form";
import { useJsonForm } from "../use-json-form";
import { useTimeZone } from "../time-zone";

const DURATIONS = [15, 20, 30, 45, 60, 90];

/** A care-team member books a time for the patient with a team provider: confirmed at once. */
export function BookAppointmentDialog({ patientId, providers, selfId }: { patientId: string; providers: TeamProvider[]; selfId: string }) {
  return (
    <NewAppointmentDialog
      patientId={patientId}
      providers={providers}
      settings={{
        idPrefix: "ba",
        durations: DURATIONS,
        initialProvider: providers.some((p) => p.provider_id === selfId) ? selfId : (providers[0]?.provider_id ?? ""),
        trigger: { label: "Book appointment", size: "sm" },
        title: "Book an appointment",
        description: "Confirmed at once.",
        submit: { label: "Book", busy: "Booking…" },
        success: "Appointment booked.",
      }}
    />
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
          <SlotFields idPrefix={`rs-${appointmentId}`} bind={f.bind} errors={f.errors} durations={DURATIONS} startLabel="New date and time" />
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>Keep the time</Button>
            <Button type="submit" disabled={f.busy}>{f.busy ? "Moving…" : "Move"}</Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
