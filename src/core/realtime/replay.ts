import { pruningHorizon, topicChangesAfter } from "./change-log";
import { send, sendError, type Conn, type Sub } from "./connections";
import type { HubStats } from "./hub-context";
import { TABLES_BY_KIND } from "./protocol";
import type { StoredChange } from "./shapes";

const REPLAY_PAGE = 200;
const REPLAY_MAX_PAGES = 25;

/** Delivers one change to one subscription (the fan-out's path, authorised the same way). */
export type Deliver = (change: StoredChange, only: { conn: Conn; sub: Sub }) => Promise<void>;

/**
 * Sends what the client missed since `since`, then what arrived live meanwhile. Throws
 * if the change log cannot be read; the live events held meanwhile are then dropped (the
 * caller ends the subscription, and the client's next `since` covers them).
 */
export async function replay(stats: HubStats, deliver: Deliver, conn: Conn, sub: Sub, since: number): Promise<void> {
  const replayed = new Set<number>();
  let complete = false;
  const current = () => !conn.closed && conn.subs.get(sub.topic.topic) === sub;
  try {
    if (since < (await pruningHorizon())) {
      sendError(conn, "replay_unavailable", "Events that old are no longer kept; reload the data over HTTP.", sub.topic.topic);
      complete = true;
      return;
    }
    let cursor = since;
    for (let page = 0; page < REPLAY_MAX_PAGES; page++) {
      const events = await topicChangesAfter(sub.topic.patientId, TABLES_BY_KIND[sub.topic.kind], cursor, REPLAY_PAGE);
      for (const change of events) {
        if (!current()) return;
        await deliver(change, { conn, sub });
        replayed.add(change.eventId);
        cursor = change.eventId;
        stats.replayed++;
      }
      if (events.length < REPLAY_PAGE) {
        complete = true;
        return;
      }
    }
    sendError(conn, "replay_truncated", "Too many missed events; reload the data over HTTP.", sub.topic.topic);
    complete = true;
  } finally {
    sub.replaying = false;
    if (complete && current()) for (const q of sub.queued) if (!replayed.has(q.eventId)) send(conn, q.frame);
    sub.queued = [];
  }
}
