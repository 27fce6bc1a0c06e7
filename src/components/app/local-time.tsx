"use client";

import { formatDateTime } from "./format";
import { useTimeZone } from "./time-zone";

/**
 * An instant in the clinic's time zone with its abbreviation ("Jul 1, 2026, 11:04 AM EDT").
 * The server and the browser format it alike (see time-zone.tsx), so the text never changes
 * after load. The name stays for its many callers.
 */
export function LocalTime({ value, seconds = false }: { value: string | Date; seconds?: boolean }) {
  const timeZone = useTimeZone();
  const at = value instanceof Date ? value : new Date(value);
  return <time dateTime={at.toISOString()}>{formatDateTime(at, timeZone, { seconds })}</time>;
}
