"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { useTopic, type RealtimeEvent } from "./realtime/use-topic";

const REFRESH_DELAY_MS = 250;

/**
 * Keeps a page showing a patient's appointments live (the patient's portal): an appointment
 * change on the patient's chart topic re-reads the page's data, and a confirmation is
 * announced. Other chart events (visits, documents, …) refresh too: the portal shows them.
 * When events were missed and cannot be replayed, the page is read again.
 */
export function AppointmentsLive({ patientId }: { patientId: string }) {
  const router = useRouter();
  const timer = React.useRef<ReturnType<typeof setTimeout> | null>(null);
  const refresh = React.useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => router.refresh(), REFRESH_DELAY_MS);
  }, [router]);
  React.useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const onEvent = React.useCallback(
    (e: RealtimeEvent) => {
      const r = e.record;
      const isAppointment = typeof r.starts_at === "string" && typeof r.ends_at === "string" && typeof r.status === "string";
      if (!isAppointment) return;
      if (e.event === "UPDATE" && r.status === "confirmed") toast.success("Your appointment was confirmed.");
      else if (e.event === "UPDATE" && r.status === "cancelled") toast.info("An appointment was cancelled.");
      else if (e.event === "UPDATE" && r.status === "declined") toast.info("An appointment request was declined.");
      else if (e.event === "INSERT" && r.status === "confirmed") toast.success("A new appointment was booked for you.");
      refresh();
    },
    [refresh],
  );
  useTopic(`patient:${patientId}:chart`, onEvent, { onGap: refresh });
  return null;
}
