import type { Conn } from "./connections";

const WINDOW_MS = 10_000;

/** Counts one client frame; true when the socket sent more than `maxPer10s` in the current 10 s window. */
export function overFrameLimit(conn: Conn, maxPer10s: number, now = Date.now()): boolean {
  if (now - conn.windowStart > WINDOW_MS) {
    conn.windowStart = now;
    conn.frames = 0;
  }
  return ++conn.frames > maxPer10s;
}
