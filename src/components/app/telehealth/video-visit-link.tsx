"use client";

import * as React from "react";
import Link from "next/link";
import { VideoIcon } from "lucide-react";
import { Button } from "@/components/ui/button";

/** How long before its start and after its end a telehealth appointment offers the video visit. */
export const OPENS_BEFORE_MS = 15 * 60_000;
export const CLOSES_AFTER_MS = 30 * 60_000;

export function videoVisitOpen(a: { status: string; visit_type?: string | null; starts_at: string | Date; ends_at: string | Date }, now: number): boolean {
  if (a.visit_type !== "telehealth" || a.status !== "confirmed") return false;
  return now >= new Date(a.starts_at).getTime() - OPENS_BEFORE_MS && now <= new Date(a.ends_at).getTime() + CLOSES_AFTER_MS;
}

/** The current time, moving every 30 s (the link appears when the window opens without a reload). */
function useNow(): number {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/**
 * "Start video visit" (the appointment's provider) or "Join video visit" (the patient) on a
 * confirmed telehealth appointment around its time. The call page decides who may really
 * join (the database does: others get not found).
 */
export function VideoVisitLink({
  appointment,
  as,
}: {
  appointment: { id: string; status: string; visit_type?: string | null; starts_at: string | Date; ends_at: string | Date };
  as: "provider" | "patient";
}) {
  const now = useNow();
  if (!videoVisitOpen(appointment, now)) return null;
  return (
    <Button asChild size="sm" data-testid="video-visit-link">
      <Link href={`/visits/call/${appointment.id}`}>
        <VideoIcon aria-hidden="true" />
        {as === "provider" ? "Start video visit" : "Join video visit"}
      </Link>
    </Button>
  );
}
