import Link from "next/link";
import { CalendarClockIcon } from "lucide-react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import type { Session } from "@/core/auth/session-types";
import type { RequestContext } from "@/core/db/with-user";
import { listMyAppointmentsForDay } from "@/core/clinical/appointments";
import { formatTime } from "../format";

const SHOWN = 5;

/** The dashboard's "Today's appointments" card (providers): the next few, and a link to Today. */
export async function TodayAppointmentsCard({ session, context }: { session: Session; context: RequestContext }) {
  const day = await listMyAppointmentsForDay(session, context);
  const upcoming = day.appointments.filter((a) => a.status !== "completed" && new Date(a.ends_at).getTime() > Date.now());
  return (
    <Card role="region" className="gap-3 py-4" aria-labelledby="today-card-title">
      <CardHeader className="flex flex-wrap items-center justify-between gap-2 px-4">
        <div>
          <CardTitle className="flex items-center gap-2">
            <CalendarClockIcon aria-hidden className="text-primary size-4" />
            <h2 id="today-card-title">Today&apos;s appointments</h2>
          </CardTitle>
          <CardDescription>
            {day.appointments.length === 0 ? "Nothing booked for today." : `${day.appointments.length} today, ${upcoming.length} still to come.`}
          </CardDescription>
        </div>
        <Link className="text-primary text-sm font-medium underline-offset-4 hover:underline" href="/today">
          Open Today
        </Link>
      </CardHeader>
      {upcoming.length > 0 && (
        <CardContent className="px-4">
          <ul className="grid gap-1.5 text-sm">
            {upcoming.slice(0, SHOWN).map((a) => (
              <li key={a.id} className="flex flex-wrap gap-x-2">
                <time className="tabular-nums" dateTime={new Date(a.starts_at).toISOString()}>{formatTime(a.starts_at, day.timeZone)}</time>
                <Link className="font-medium underline-offset-4 hover:underline" href={`/patients/${a.patient_id}`}>{a.patient_name}</Link>
                {a.status === "requested" && <span className="text-muted-foreground">(requested)</span>}
              </li>
            ))}
          </ul>
        </CardContent>
      )}
    </Card>
  );
}
