/** How long before its start and after its end a telehealth appointment offers the video visit. */
export const OPENS_BEFORE_MS = 15 * 60_000;
export const CLOSES_AFTER_MS = 30 * 60_000;

/** A confirmed telehealth appointment around its time (a plain function: pages and client components both call it). */
export function videoVisitOpen(a: { status: string; visit_type?: string | null; starts_at: string | Date; ends_at: string | Date }, now: number): boolean {
  if (a.visit_type !== "telehealth" || a.status !== "confirmed") return false;
  return now >= new Date(a.starts_at).getTime() - OPENS_BEFORE_MS && now <= new Date(a.ends_at).getTime() + CLOSES_AFTER_MS;
}
