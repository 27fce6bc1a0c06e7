import { envFrom, isTimeZone, type EnvSource } from "./env";

/**
 * The clinic's time zone: CLINIC_TIME_ZONE (an IANA name such as "America/New_York"), else
 * the server's own zone. Server and browser format every clinic time in this zone, so a
 * page renders the same text on both sides (no hydration mismatch) and "today" means the
 * clinic's day, wherever the reader's browser is.
 */
export function clinicTimeZone(source?: EnvSource): string {
  return envFrom(source).CLINIC_TIME_ZONE ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
}

export { isTimeZone };

/** The calendar date (YYYY-MM-DD) of an instant in a zone. */
export function dateInZone(at: Date, timeZone: string): string {
  return at.toLocaleDateString("en-CA", { timeZone });
}

/** The instant a calendar date (YYYY-MM-DD) starts in a zone, DST-aware. */
export function startOfDateInZone(date: string, timeZone: string): Date {
  const [y, m, d] = date.split("-").map(Number);
  // Guess midnight UTC, then correct by the zone's offset at that instant (twice, for DST edges).
  let t = Date.UTC(y, m - 1, d);
  for (let i = 0; i < 2; i++) {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(t));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    const shown = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    t -= shown - Date.UTC(y, m - 1, d);
  }
  return new Date(t);
}

/** [start, end) of the clinic day that holds `at`. */
export function clinicDayBounds(at: Date, timeZone: string): { start: Date; end: Date; date: string } {
  const date = dateInZone(at, timeZone);
  const start = startOfDateInZone(date, timeZone);
  const next = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)) + 1)).toISOString().slice(0, 10);
  return { start, end: startOfDateInZone(next, timeZone), date };
}
