"use client";

import { cn } from "@/lib/utils";
import type { RealtimeStatus } from "./realtime-client";

const LABEL: Record<RealtimeStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

const DOT: Record<RealtimeStatus, string> = {
  connecting: "bg-muted-foreground/60",
  live: "bg-emerald-500",
  reconnecting: "bg-amber-500 animate-pulse motion-reduce:animate-none",
  offline: "bg-muted-foreground",
};

/** A small badge saying whether live updates are flowing; announced politely when it changes. */
export function LiveStatus({ status, className, label }: { status: RealtimeStatus; className?: string; label?: string }) {
  return (
    <span
      role="status"
      aria-live="polite"
      data-status={status}
      className={cn("inline-flex items-center gap-1.5 rounded-full border px-2 py-0.5 text-xs font-medium text-muted-foreground", className)}
      title={status === "offline" ? "Live updates stopped. Reload the page to see new changes." : undefined}
    >
      <span aria-hidden="true" className={cn("size-2 rounded-full", DOT[status])} />
      {label ? <span className="sr-only">{label}: </span> : null}
      {LABEL[status]}
    </span>
  );
}
