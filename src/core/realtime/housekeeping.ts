import { sql } from "kysely";
import { asService } from "../db/with-user";
import { log } from "../log";
import { endedSessions, type Recipient } from "./authorize-delivery";
import type { Connections } from "./connections";

/** Terminates sockets that did not answer the last ping, and pings the rest. */
export function heartbeat(conns: Connections): void {
  for (const conn of conns) {
    if (!conn.alive) {
      conn.ws.terminate();
      conns.forget(conn);
      continue;
    }
    conn.alive = false;
    conn.ws.ping();
  }
}

/** Closes every socket whose session has ended (revoked, expired, idle staff, pending), in one query for all of them. */
export async function checkSessions(conns: Connections): Promise<void> {
  if (conns.size === 0) return;
  const recipients = new Map<string, Recipient>();
  for (const c of conns) recipients.set(c.session.sessionId, { sessionId: c.session.sessionId, userId: c.session.userId });
  try {
    const ended = await asService("realtime: re-check the sessions of open sockets", (tx) =>
      endedSessions(tx, [...recipients.values()]),
    );
    for (const c of conns) {
      if (ended.has(c.session.sessionId)) conns.endSession(c);
    }
  } catch (e) {
    log.error({ err: (e as Error).message }, "realtime session check failed");
  }
}

/** Deletes change events older than `keepEvents` (a PostgreSQL interval): replay reaches no further back. */
export async function pruneChangeEvents(keepEvents: string): Promise<void> {
  try {
    await asService("realtime: prune old change events", (tx) =>
      sql`select app.prune_change_events(${keepEvents}::interval)`.execute(tx),
    );
  } catch (e) {
    log.error({ err: (e as Error).message }, "realtime prune failed");
  }
}
