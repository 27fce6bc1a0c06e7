"use client";

import * as React from "react";
import { CalendarIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useApiAction } from "../use-api-action";
import { EmptyState } from "../empty-state";
import { formatTimeRange } from "../format";
import { useTimeZone } from "../time-zone";

export interface AppointmentView {
  id: string;
  starts_at: string | Date;
  ends_at: string | Date;
  status: string;
  reason: string | null;
  provider_name: string | null;
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

type Action = "confirmed" | "declined" | "cancelled";

/** `mode`: staff confirm/decline/cancel; patients may cancel their own requests; "none" is read-only. */
export function AppointmentsList({ appointments, mode, emptyHint }: { appointments: AppointmentView[]; mode: "staff" | "patient" | "none"; emptyHint: string }) {
  const { busy, run } = useApiAction();
  if (appointments.length === 0) return <EmptyState icon={CalendarIcon} title="No appointments">{emptyHint}</EmptyState>;

  const set = (id: string, status: Action) => run(id, `/api/v1/appointments/${id}`, { method: "PATCH", body: { status } }, `Appointment ${status}.`);

  const actionsFor = (a: AppointmentView): Action[] => {
    const future = new Date(a.ends_at).getTime() > Date.now();
    if (!future || mode === "none") return [];
    if (mode === "staff") return a.status === "requested" ? ["confirmed", "declined"] : a.status === "confirmed" ? ["cancelled"] : [];
    return a.status === "requested" || a.status === "confirmed" ? ["cancelled"] : [];
  };
  const LABEL: Record<Action, string> = { confirmed: "Confirm", declined: "Decline", cancelled: "Cancel" };

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
              <TableCell><AppointmentStatus status={a.status} /></TableCell>
              {mode !== "none" && (
                <TableCell>
                  <div className="flex justify-end gap-1">
                    {actionsFor(a).map((s) => (
                      <Button key={s} size="sm" variant={s === "confirmed" ? "default" : "outline"} disabled={busy === a.id} onClick={() => void set(a.id, s)}>
                        {LABEL[s]}
                      </Button>
                    ))}
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
