"use client";

import Link from "next/link";
import { CalendarIcon } from "lucide-react";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { TodayAppointmentRow } from "@/core/clinical/appointments";
import { EmptyState } from "../empty-state";
import { formatTime } from "../format";
import { useTimeZone } from "../time-zone";
import { AppointmentStatus, CancelAppointmentButton } from "../chart/appointments-list";

export interface TodayView {
  date: string;
  timeZone: string;
  appointments: TodayAppointmentRow[];
}

/** "Sunday, 6 December 2026" for a YYYY-MM-DD clinic date. */
export function longDate(date: string): string {
  return new Date(`${date}T12:00:00Z`).toLocaleDateString("en-US", { weekday: "long", year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
}

/** The Today page: one row per appointment, earliest first, with the chart a click away. */
export function TodayAppointments({ day }: { day: TodayView }) {
  const timeZone = useTimeZone();
  const open = day.appointments.filter((a) => a.status !== "completed").length;
  return (
    <>
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Today</h1>
        <p className="text-muted-foreground text-sm">
          {longDate(day.date)} · {day.appointments.length === 0 ? "no appointments" : `${day.appointments.length} appointment${day.appointments.length === 1 ? "" : "s"}, ${open} still to come or open`} · times in {day.timeZone}
        </p>
      </div>
      {day.appointments.length === 0 ? (
        <EmptyState icon={CalendarIcon} title="Nothing booked for today">Appointments you book or confirm for today appear here.</EmptyState>
      ) : (
        <div className="bg-card rounded-lg border">
          <Table aria-label="Today's appointments">
            <TableHeader>
              <TableRow>
                <TableHead>Time</TableHead>
                <TableHead>Patient</TableHead>
                <TableHead>Reason</TableHead>
                <TableHead>Status</TableHead>
                <TableHead><span className="sr-only">Actions</span></TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {day.appointments.map((a) => (
                <TableRow key={a.id}>
                  <TableCell className="whitespace-nowrap">
                    <time dateTime={new Date(a.starts_at).toISOString()}>{formatTime(a.starts_at, timeZone, { zone: false })}–{formatTime(a.ends_at, timeZone)}</time>
                  </TableCell>
                  <TableCell>
                    <Link className="text-primary font-medium underline-offset-4 hover:underline" href={`/patients/${a.patient_id}`}>
                      {a.patient_name}
                    </Link>
                    <span className="text-muted-foreground block font-mono text-xs">{a.patient_mrn}</span>
                  </TableCell>
                  <TableCell className="max-w-64 whitespace-normal">{a.reason ?? "—"}</TableCell>
                  <TableCell><AppointmentStatus status={a.status} /></TableCell>
                  <TableCell>
                    <div className="flex justify-end">
                      {a.status === "confirmed" && new Date(a.ends_at).getTime() > Date.now() && (
                        <CancelAppointmentButton id={a.id} label={`${a.patient_name}'s appointment`} />
                      )}
                    </div>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
    </>
  );
}
