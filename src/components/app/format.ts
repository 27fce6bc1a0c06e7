/**
 * Display helpers shared by server and client components. Every instant is formatted in
 * the clinic's time zone (CLINIC_TIME_ZONE, handed to the browser by the root layout's
 * TimeZoneProvider) with a fixed locale, so the server's HTML and the browser's first
 * render are the same text (no hydration mismatch, no time jumping after load).
 * Dates-only stay as calendar dates (no time zone shift).
 */

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const LOCALE = "en-US";

/** ICU versions differ on the space before AM/PM and inside zone names (U+202F, U+00A0): one plain space everywhere. */
function plain(s: string): string {
  return s.replace(/[\u202f\u00a0]/g, " ");
}

function instant(value: string | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

/** A calendar date ("Apr 2, 1980"). A date-only value stays that day; an instant is the clinic's day it fell on. */
export function formatDate(value: string | Date | null | undefined, timeZone = "UTC"): string {
  if (!value) return "—";
  if (typeof value === "string" && DATE_ONLY.test(value)) {
    const [y, m, d] = value.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(LOCALE, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  }
  return instant(value).toLocaleDateString(LOCALE, { year: "numeric", month: "short", day: "numeric", timeZone });
}

/** Date and time with the zone's abbreviation ("Jul 1, 2026, 11:04 AM EDT"). */
export function formatDateTime(value: string | Date, timeZone: string, opts: { seconds?: boolean; zone?: boolean } = {}): string {
  const { seconds = false, zone = true } = opts;
  return plain(
    instant(value).toLocaleString(LOCALE, {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      second: seconds ? "2-digit" : undefined,
      timeZoneName: zone ? "short" : undefined,
      timeZone,
    }),
  );
}

/** The time of day alone, with the zone's abbreviation unless `zone: false` ("11:04 AM EDT"). */
export function formatTime(value: string | Date, timeZone: string, opts: { zone?: boolean } = {}): string {
  return plain(instant(value).toLocaleTimeString(LOCALE, { hour: "numeric", minute: "2-digit", timeZoneName: opts.zone === false ? undefined : "short", timeZone }));
}

/** An appointment's span: "Wed, Jul 1, 2026, 11:00 AM–11:30 AM EDT". */
export function formatTimeRange(start: string | Date, end: string | Date, timeZone: string): string {
  const day = plain(instant(start).toLocaleDateString(LOCALE, { weekday: "short", year: "numeric", month: "short", day: "numeric", timeZone }));
  return `${day}, ${formatTime(start, timeZone, { zone: false })}–${formatTime(end, timeZone)}`;
}

/** The calendar date (YYYY-MM-DD) an instant falls on in a zone, e.g. "today" for a date input's default. */
export function dayInZone(value: string | Date, timeZone: string): string {
  return instant(value).toLocaleDateString("en-CA", { timeZone });
}

/** Age in whole years on `today` for an ISO calendar date of birth. */
export function ageFrom(dateOfBirth: string, today = new Date()): number {
  const [y, m, d] = dateOfBirth.slice(0, 10).split("-").map(Number);
  let age = today.getUTCFullYear() - y;
  const month = today.getUTCMonth() + 1;
  if (month < m || (month === m && today.getUTCDate() < d)) age -= 1;
  return age;
}

/** A calendar date as ISO (the API and pg return DATE columns as strings or Dates). */
export function isoDate(value: string | Date): string {
  return typeof value === "string" ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}

export function titleCase(s: string): string {
  return s.replace(/_/g, " ").replace(/\b\w/g, (c) => c.toUpperCase());
}
