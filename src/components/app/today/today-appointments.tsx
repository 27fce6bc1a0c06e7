"use client";

import Link from "next/link";
import { CalendarIcon } from "lucide-react";
import type { TodayAppointmentRow } from "@/core/clinical/appointments";
import { EmptyState } from "../empty-state";
import { formatTime } from "../format";
import { useTimeZone } from "../time-zone";
import { AppointmentStatus, CancelAppointmentButton } from "../chart/appointments-list";
import { VideoVisitLink } from "../telehealth/video-visit-link";

export interface TodayView {
  date: string;
  timeZone: string;
  appointments: TodayAppointmentRow[];
}

/** "Sunday, 6 December 2026" for a YYYY-MM-DD clinic date. */
export function longDate(date: string): string {
  return new Date(`${date}T12:00:00Z`).toLocaleDateString("en-US", { weekday: "long", year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
}

/** The Today page: one entry per appointment, earliest first, with the chart a click away (a list, not a table: it reads the same at 360 px). */
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
        <ol aria-label="Today's appointments" className="bg-card divide-y rounded-lg border">
          {day.appointments.map((a) => (
            <li key={a.id} className="flex flex-wrap items-start gap-x-4 gap-y-2 p-4" data-testid="today-appointment">
              <time className="w-full font-medium tabular-nums sm:w-44" dateTime={new Date(a.starts_at).toISOString()}>
                {formatTime(a.starts_at, timeZone, { zone: false })}–{formatTime(a.ends_at, timeZone)}
              </time>
              <div className="min-w-0 flex-1">
                <Link className="text-primary font-medium underline-offset-4 hover:underline" href={`/patients/${a.patient_id}`}>
                  {a.patient_name}
                </Link>
                <span className="text-muted-foreground ml-2 font-mono text-xs">{a.patient_mrn}</span>
                <p className="text-muted-foreground text-sm break-words">{a.reason ?? "No reason given."}</p>
              </div>
              <div className="flex items-center gap-2">
                <AppointmentStatus status={a.status} />
                <VideoVisitLink appointment={a} as="provider" />
                {a.status === "confirmed" && new Date(a.ends_at).getTime() > Date.now() && (
                  <CancelAppointmentButton id={a.id} label={`${a.patient_name}'s appointment`} />
                )}
              </div>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
