import type { Session } from "../auth/session-types";
import { asService } from "../db/with-user";
import { log } from "../log";
import { authorizeDelivery, type Recipient } from "./authorize-delivery";
import { send, type Conn, type Sub } from "./connections";
import type { HubContext } from "./hub-context";
import { TABLES_BY_KIND } from "./protocol";
import { loadRecord, type Shape, type StoredChange } from "./shapes";

type Target = { conn: Conn; sub: Sub };

/**
 * The fan-out of database changes to this instance's subscribers: changes of one patient
 * in order (one promise chain per patient), different patients in parallel, each change
 * authorised for all its subscribers in one query, failed deliveries retried.
 */
export class FanOut {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly recent = new Set<number>();
  private stopping?: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.stopping = resolve));

  constructor(private readonly ctx: HubContext) {}

  /** Cuts retry pauses short (the hub is stopping). */
  halt(): void {
    this.stopping?.();
  }

  /** Resolves when every delivery under way has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }

  /**
   * Changes of one patient are delivered in order; different patients in parallel. False
   * when this event id was handed over already (a notification and the catch-up both
   * bring it).
   */
  enqueue(change: StoredChange): boolean {
    if (this.ctx.stopped || this.recent.has(change.eventId)) return false;
    this.recent.add(change.eventId);
    if (this.recent.size > 20_000) {
      const drop = [...this.recent].slice(0, 10_000);
      for (const id of drop) this.recent.delete(id);
    }
    if (change.eventId > this.ctx.frontier) this.ctx.frontier = change.eventId;
    if (!this.ctx.conns.byPatient.has(change.patientId)) return true; // nobody here listens: no query at all
    const key = change.patientId;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .then(() => this.deliverOrRetry(change))
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
    return true;
  }

  /**
   * A delivery that fails (the database going away) is tried again, with backoff, and the
   * patient's later changes wait behind it. After `deliveryRetryMs` its subscribers are
   * told `resync_required` instead, so they replay it from app.change_events themselves.
   */
  private async deliverOrRetry(change: StoredChange): Promise<void> {
    const { stats, opts, conns } = this.ctx;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deliver(change, undefined, attempt > 0);
        return;
      } catch (e) {
        stats.deliveryFailures++;
        if (this.ctx.stopped) return;
        const err = (e as Error).message;
        if (Date.now() - started >= opts.deliveryRetryMs) {
          log.error({ eventId: change.eventId, attempts: attempt + 1, err }, "realtime delivery failed; subscribers told to resync");
          for (const { conn, sub } of this.targetsOf(change)) {
            conns.endSubscription(conn, sub, "An event could not be delivered; subscribe again with since.");
          }
          return;
        }
        const delay = Math.min(100 * 2 ** attempt, 2_000);
        log.warn({ eventId: change.eventId, attempt: attempt + 1, retryInMs: delay, err }, "realtime delivery failed; retrying");
        await this.pause(delay);
      }
    }
  }

  /** Waits `ms`, or less if the hub stops meanwhile. */
  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((r) => (timer = setTimeout(r, ms))), this.stopSignal]);
    clearTimeout(timer);
  }

  /** The live subscriptions a change is for. */
  private targetsOf(change: StoredChange): Target[] {
    const targets: Target[] = [];
    for (const conn of this.ctx.conns.byPatient.get(change.patientId) ?? []) {
      for (const sub of conn.subs.values()) {
        if (sub.topic.patientId === change.patientId && TABLES_BY_KIND[sub.topic.kind].includes(change.table)) {
          targets.push({ conn, sub });
        }
      }
    }
    return targets;
  }

  /**
   * Delivers one change to every subscriber of its patient (or, when replaying, to one
   * subscription): one authorisation query for all of them, one read of the row per
   * recipient shape, then the frames.
   */
  readonly deliver = async (change: StoredChange, only?: Target, retry = false): Promise<void> => {
    const { stats, conns } = this.ctx;
    const targets = only ? [only] : this.targetsOf(change);
    if (targets.length === 0) return;
    if (!only && !retry) stats.changes++;

    const recipients = new Map<string, Recipient>();
    for (const { conn } of targets) recipients.set(conn.session.sessionId, { sessionId: conn.session.sessionId, userId: conn.session.userId });

    const { decisions, records } = await asService("realtime fan-out: authorise all subscribers of a patient at once", async (tx) => {
      const decisions = await authorizeDelivery(tx, change.table, change.patientId, [...recipients.values()]);
      if (only) stats.replayAuthQueries++;
      else stats.authQueries++;
      const shapes = new Set<Shape>();
      for (const { conn } of targets) if (decisions.get(conn.session.sessionId)?.allowed) shapes.add(shapeOf(conn.session));
      const records = new Map<Shape, Record<string, unknown> | null>();
      for (const shape of shapes) records.set(shape, await loadRecord(tx, change, shape));
      return { decisions, records };
    });

    const frames = new Map<string, string>();
    for (const { conn, sub } of targets) {
      if (conn.closed || conn.subs.get(sub.topic.topic) !== sub) continue; // ended meanwhile (unsubscribed, resync_required)
      const d = decisions.get(conn.session.sessionId);
      if (!d?.live) {
        conns.endSession(conn);
        continue;
      }
      if (!d.allowed) continue;
      const record = records.get(shapeOf(conn.session));
      if (!record) continue;
      const key = `${sub.topic.topic}|${shapeOf(conn.session)}`;
      let frame = frames.get(key);
      if (!frame) {
        frame = JSON.stringify({
          type: "event",
          topic: sub.topic.topic,
          event: change.op,
          table: change.table,
          event_id: change.eventId,
          record,
        });
        frames.set(key, frame);
      }
      if (sub.replaying && !only) {
        sub.queued.push({ eventId: change.eventId, frame });
      } else {
        send(conn, frame);
        stats.deliveries++;
      }
    }
  };
}

function shapeOf(session: Session): Shape {
  return session.role === "patient" ? "patient" : "staff";
}
