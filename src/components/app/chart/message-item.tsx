"use client";

import { AlertTriangleIcon, Loader2Icon } from "lucide-react";
import { cn } from "@/lib/utils";
import { formatDateTime, titleCase } from "../format";
import { useTimeZone } from "../time-zone";
import { formatMessageTime, type ThreadMessage } from "./message-thread";

/** One message of the thread: sender, role, time (or "Sending…"), urgent marked. */
export function MessageItem({ message: m, mine, role }: { message: ThreadMessage; mine: boolean; role?: string }) {
  const urgent = m.priority === "urgent";
  return (
    <li
      data-priority={m.priority}
      data-pending={m.pending ? "true" : undefined}
      className={cn(
        "rounded-md border px-3 py-2 text-sm",
        urgent ? "border-destructive/40 bg-destructive/5 border-l-4 border-l-destructive" : mine ? "bg-muted/60" : "bg-card",
        m.pending && "opacity-70",
      )}
    >
      <div className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5">
        {urgent && (
          <span className="text-destructive inline-flex items-center gap-1 text-xs font-semibold uppercase tracking-wide">
            <AlertTriangleIcon className="size-3.5" aria-hidden />
            Urgent
          </span>
        )}
        <span className="font-medium">{mine ? "You" : (m.sender_name ?? "Former team member")}</span>
        {role && <span className="text-muted-foreground text-xs">{titleCase(role)}</span>}
        <span className="text-muted-foreground ml-auto text-xs">
          {m.pending ? (
            <span className="inline-flex items-center gap-1">
              <Loader2Icon className="size-3 animate-spin motion-reduce:animate-none" aria-hidden />
              Sending…
            </span>
          ) : (
            <MessageTime value={m.created_at} />
          )}
        </span>
      </div>
      <p className="mt-1 break-words whitespace-pre-wrap">{m.message}</p>
    </li>
  );
}

/** The time in the clinic's zone (the same text on the server and in the browser). */
function MessageTime({ value }: { value: string }) {
  const timeZone = useTimeZone();
  const iso = new Date(value).toISOString();
  return (
    <time dateTime={iso} title={formatDateTime(value, timeZone)}>
      {formatMessageTime(value, new Date(), timeZone)}
    </time>
  );
}
