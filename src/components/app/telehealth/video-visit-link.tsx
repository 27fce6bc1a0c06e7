"use client";

import * as React from "react";
import { VideoIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { videoVisitOpen } from "./video-visit-window";

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
      {/* a full page load, not a client-side navigation: only the call page's document may use the camera (Permissions-Policy) */}
      <a href={`/visits/call/${appointment.id}`}>
        <VideoIcon aria-hidden="true" />
        {as === "provider" ? "Start video visit" : "Join video visit"}
      </a>
    </Button>
  );
}
