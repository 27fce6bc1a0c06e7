"use client";

import * as React from "react";
import { CalendarIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { ZCancelAppointmentRequest } from "@/core/clinical/appointments.types";
import { ReasonDialog } from "../reason-dialog";
import { RescheduleAppointmentDialog } from "./book-appointment-dialog";
import { useApiAction } from "../use-api-action";
import { EmptyState } from "../empty-state";
import { formatTimeRange } from "../format";
import { useTimeZone } from "../time-zone";
import { VideoVisitLink } from "../telehealth/video-visit-link";

export interface AppointmentView {
  id: string;
  starts_at: string | Date;
  ends_at: string | Date;
  status: string;
  reason: string | null;
  provider_name: string | null;
  cancel_reason?: string | null;
  provider_id?: string;
  visit_type?: string;
}

const STATUS_VARIANT: Record<string, "success" | "secondary" | "muted" | "outline" | "destructive"> = {
  confirmed: "success",
  requested: "secondary",
  declined: "muted",
  cancelled: "muted",
  completed: "outline",
};

export function AppointmentStatus({ status }: { status: string }) {
  return <Badge variant={STATUS_VARIANT[status] ?? "outline"} className="capitalize">{status}</Badge>;
}

/** Times render in the clinic's time zone, with its abbreviation (the same text on the server and in the browser). */
export function When({ start, end }: { start: string | Date; end: string | Date }) {
  const timeZone = useTimeZone();
  return <time dateTime={new Date(start).toISOString()}>{formatTimeRange(start, end, timeZone)}</time>;
}

type Action = "confirmed" | "declined" | "cancelled" | "reschedule";

/** Staff cancel with a reason (kept on the appointment and in the audit trail). */
export function CancelAppointmentButton({ id, label }: { id: string; label: string }) {
  return (
    <ReasonDialog
      trigger={<Button size="sm" variant="outline" aria-label={`Cancel ${label}`}>Cancel</Button>}
      title="Cancel this appointment?"
      description="The time becomes free again. The patient sees it as cancelled, with the reason; the reason is kept in the audit trail."
      fieldId={`cancel-${id}`}
      hint="For example: provider unavailable, patient asked by phone, booked in error."
      maxLength={500}
      schema={ZCancelAppointmentRequest}
      path={`/api/v1/appointments/${id}`}
      method="PATCH"
      extraBody={{ status: "cancelled" }}
      confirmLabel="Cancel appointment"
      busyLabel="Cancelling…"
      cancelLabel="Keep it"
      successMessage="Appointment cancelled."
    />
  );
}

/** `mode`: staff confirm/decline, reschedule and cancel (with a reason); patients may cancel their own; "none" is read-only. */
export function AppointmentsList({ appointments, mode, emptyHint, viewerId }: { appointments: AppointmentView[]; mode: "staff" | "patient" | "none"; emptyHint: string; viewerId?: string }) {
  const { busy, run } = useApiAction();
  if (appointments.length === 0) return <EmptyState icon={CalendarIcon} title="No appointments">{emptyHint}</EmptyState>;

  const set = (id: string, status: Action) => run(id, `/api/v1/appointments/${id}`, { method: "PATCH", body: { status } }, `Appointment ${status}.`);

  const actionsFor = (a: AppointmentView): Action[] => {
    const future = new Date(a.ends_at).getTime() > Date.now();
    if (!future || mode === "none") return [];
    if (mode === "staff") return a.status === "requested" ? ["confirmed", "declined", "reschedule"] : a.status === "confirmed" ? ["reschedule", "cancelled"] : [];
    return a.status === "requested" || a.status === "confirmed" ? ["cancelled"] : [];
  };
  const LABEL: Record<Action, string> = { confirmed: "Confirm", declined: "Decline", cancelled: "Cancel", reschedule: "Reschedule" };

  return (
    <div className="bg-card rounded-lg border">
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>When</TableHead>
            <TableHead>Provider</TableHead>
            <TableHead>Reason</TableHead>
            <TableHead>Status</TableHead>
            {mode !== "none" && <TableHead><span className="sr-only">Actions</span></TableHead>}
          </TableRow>
        </TableHeader>
        <TableBody>
          {appointments.map((a) => (
            <TableRow key={a.id}>
              <TableCell><When start={a.starts_at} end={a.ends_at} /></TableCell>
              <TableCell>{a.provider_name ?? "—"}</TableCell>
              <TableCell className="max-w-64 truncate">{a.reason ?? "—"}</TableCell>
              <TableCell>
                <AppointmentStatus status={a.status} />
                {a.cancel_reason && <p className="text-muted-foreground mt-1 max-w-56 text-xs whitespace-normal">{a.cancel_reason}</p>}
              </TableCell>
              {mode !== "none" && (
                <TableCell>
                  <div className="flex justify-end gap-1">
                    {(mode === "patient" || (viewerId !== undefined && a.provider_id === viewerId)) && (
                      <VideoVisitLink appointment={a} as={mode === "patient" ? "patient" : "provider"} />
                    )}
                    {actionsFor(a).map((s) =>
                      s === "reschedule" ? (
                        <RescheduleAppointmentDialog key={s} appointmentId={a.id} label={`the appointment ${a.reason ?? ""}`.trim()} />
                      ) : s === "cancelled" && mode === "staff" ? (
                        <CancelAppointmentButton key={s} id={a.id} label={`the appointment ${a.reason ?? ""}`.trim()} />
                      ) : (
                        <Button key={s} size="sm" variant={s === "confirmed" ? "default" : "outline"} disabled={busy === a.id} onClick={() => void set(a.id, s)}>
                          {LABEL[s]}
                        </Button>
                      ),
                    )}
                  </div>
                </TableCell>
              )}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
