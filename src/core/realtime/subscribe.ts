import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { recordRead, type ReadKind } from "../audit/record";
import { withUser } from "../db/with-user";
import { AppError } from "../errors";
import { log } from "../log";
import { send, sendError, type Conn, type Sub } from "./connections";
import type { HubContext } from "./hub-context";
import type { Topic } from "./protocol";
import { replay, type Deliver } from "./replay";

const AUDIT_KIND: Record<Topic["kind"], ReadKind> = { messages: "messages", vitals: "vitals", chart: "patient_chart" };

/**
 * A subscribe frame: the per-socket cap, the read check as the user (audited), then the
 * replay of what the client missed when it sent `since`.
 */
export async function subscribe(ctx: HubContext, deliver: Deliver, conn: Conn, topic: Topic, since: number | undefined): Promise<void> {
  const { conns, opts } = ctx;
  if (conn.subs.has(topic.topic)) return send(conn, { type: "subscribed", topic: topic.topic });
  if (conn.subs.size + conn.pendingSubscribes >= opts.maxSubscriptions) {
    return sendError(conn, "too_many_subscriptions", `At most ${opts.maxSubscriptions} subscriptions per connection.`, topic.topic);
  }
  conn.pendingSubscribes++;
  let allowed: boolean;
  try {
    allowed = await mayRead(conn.session, topic);
  } catch (e) {
    // withUser checks the session row first: ended, idle or pending closes the socket
    if (e instanceof AppError && (e.status === 401 || e.status === 403)) {
      conns.endSession(conn);
      return;
    }
    throw e;
  } finally {
    conn.pendingSubscribes--;
  }
  if (conn.closed) return;
  // Indistinguishable from a patient that does not exist.
  if (!allowed) return sendError(conn, "not_found", "No such topic, or it is not visible to you.", topic.topic);

  const sub: Sub = { topic, replaying: since !== undefined, queued: [] };
  conn.subs.set(topic.topic, sub);
  conns.index(conn, topic.patientId);
  send(conn, { type: "subscribed", topic: topic.topic, last_event_id: ctx.frontier });
  if (since === undefined) return;
  try {
    await replay(ctx.stats, deliver, conn, sub, since);
  } catch (e) {
    // A replay cut short leaves a gap the client cannot see: end the subscription.
    log.warn({ conn: conn.id, err: (e as Error).message }, "realtime replay failed");
    conns.endSubscription(conn, sub, "The missed events could not be sent; subscribe again with since.");
  }
}

/**
 * May this user subscribe? The same function the read policies use, as the user
 * (withUser), and the subscription itself is audited as a read of that part of the chart.
 */
async function mayRead(session: Session, topic: Topic): Promise<boolean> {
  return withUser(session, async (tx) => {
    const set = topic.kind === "messages" ? sql`app.my_chartable_patient_ids()` : sql`app.my_readable_patient_ids()`;
    const { rows } = await sql<{ ok: boolean }>`select ${topic.patientId}::uuid = any (${set}) as ok`.execute(tx);
    const ok = rows[0]?.ok === true;
    if (ok) {
      await recordRead(tx, {
        kind: AUDIT_KIND[topic.kind],
        patientIds: [topic.patientId],
        details: { realtime: "subscribe", topic: topic.topic },
      });
    }
    return ok;
  });
}
