import type { Session } from "../auth/session-types";
import { asService, type Tx } from "../db/with-user";
import { log } from "../log";
import { authorizeDelivery, type Decision, type Recipient } from "./authorize-delivery";
import { send, type Conn, type Sub } from "./connections";
import type { HubContext } from "./hub-context";
import { TABLES_BY_KIND } from "./protocol";
import { loadRecord, loadVitalsRecords, type Shape, type StoredChange } from "./shapes";

type Target = { conn: Conn; sub: Sub };

/** Changes authorised in one transaction: one authorisation query each, begin/commit once. */
const MAX_BATCH = 32;
/** Batches (transactions) under way at once; a patient is in at most one of them. */
const MAX_BATCHES = 4;

interface Authorised {
  decisions: Map<string, Decision>;
  records: Map<Shape, Record<string, unknown> | null>;
}

/**
 * The fan-out of database changes to this instance's subscribers. Changes wait in one queue
 * per patient; up to MAX_BATCHES transactions at a time each take the queued changes of
 * patients that have none under way (up to MAX_BATCH), and authorise them one query per
 * change, each for all its subscribers, inside one transaction: so a patient's changes
 * go out in order, different patients in parallel, and a busy hub pays begin and commit
 * once per batch rather than once per change. A batch that fails is delivered again change
 * by change, and each failed delivery is retried (deliverOrRetry).
 */
export class FanOut {
  private readonly queued = new Map<string, StoredChange[]>();
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private pumpScheduled = false;
  private readonly recent = new Set<number>();
  private stopping?: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.stopping = resolve));

  constructor(private readonly ctx: HubContext) {}

  /** Cuts retry pauses short (the hub is stopping). */
  halt(): void {
    this.stopping?.();
  }

  /** Resolves when every delivery queued or under way has ended. */
  async settled(): Promise<void> {
    while (this.running.size > 0 || this.pumpScheduled) {
      if (this.running.size > 0) await Promise.allSettled([...this.running]);
      else await new Promise((resolve) => setImmediate(resolve)); // a batch about to start
    }
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
    const queue = this.queued.get(change.patientId);
    if (queue) queue.push(change);
    else this.queued.set(change.patientId, [change]);
    // the notifications of one commit arrive together: batch them once all are queued
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
    return true;
  }

  /**
   * Starts batches while there is room and queued changes of patients with none under way,
   * each with a fair share of what is ready (a commit of 25 patients' samples is four
   * batches side by side, not one of 25 in a row; a transaction that ends takes a share
   * of the backlog, not all of it), at most MAX_BATCH changes each.
   */
  private pump(): void {
    while (this.running.size < MAX_BATCHES) {
      let ready = 0;
      for (const [patientId, queue] of this.queued) if (!this.busy.has(patientId)) ready += queue.length;
      if (ready === 0) return;
      const size = Math.min(MAX_BATCH, Math.ceil(ready / MAX_BATCHES));
      const batch: StoredChange[] = [];
      const patients: string[] = [];
      for (const [patientId, queue] of this.queued) {
        if (this.busy.has(patientId)) continue;
        batch.push(...queue.splice(0, size - batch.length));
        patients.push(patientId);
        if (queue.length === 0) this.queued.delete(patientId);
        if (batch.length >= size) break;
      }
      for (const p of patients) this.busy.add(p);
      const run: Promise<void> = this.deliverBatch(batch).finally(() => {
        for (const p of patients) this.busy.delete(p);
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  /**
   * One transaction for the batch: per change, its authorisation query and the reads of its
   * row; the frames go out after the commit, in the batch's order. When the transaction
   * fails, nothing has been sent: each change is then delivered on its own, with retries,
   * a patient's changes in order and different patients in parallel.
   */
  private async deliverBatch(batch: StoredChange[]): Promise<void> {
    const planned = batch.map((change) => ({ change, targets: this.targetsOf(change) })).filter((p) => p.targets.length > 0);
    if (planned.length === 0) return;
    let authorised: Authorised[];
    try {
      authorised = await asService("realtime fan-out: authorise a batch of changes, one query per change for all its subscribers", async (tx) => {
        const decided: { decisions: Map<string, Decision>; shapes: Set<Shape> }[] = [];
        for (const { change, targets } of planned) decided.push(await this.decide(tx, change, targets, false));
        // the samples of every vitals change that goes to someone, in one read
        const vitals = planned.filter((p, i) => p.change.table === "vitals" && p.change.op !== "DELETE" && decided[i].shapes.size > 0).map((p) => p.change);
        const samples = vitals.length > 0 ? await loadVitalsRecords(tx, vitals) : new Map<number, Record<string, unknown>>();
        const out: Authorised[] = [];
        for (let i = 0; i < planned.length; i++) {
          const { change } = planned[i];
          const records = new Map<Shape, Record<string, unknown> | null>();
          for (const shape of decided[i].shapes) {
            records.set(shape, change.table === "vitals" && change.op !== "DELETE" ? (samples.get(change.eventId) ?? null) : await loadRecord(tx, change, shape));
          }
          out.push({ decisions: decided[i].decisions, records });
        }
        return out;
      });
    } catch (e) {
      this.ctx.stats.deliveryFailures++;
      log.warn({ changes: planned.length, err: (e as Error).message }, "realtime batch failed; delivering its changes one by one");
      const byPatient = new Map<string, StoredChange[]>();
      for (const { change } of planned) byPatient.set(change.patientId, [...(byPatient.get(change.patientId) ?? []), change]);
      await Promise.all(
        [...byPatient.values()].map(async (changes) => {
          for (const change of changes) {
            this.ctx.stats.changes++;
            await this.deliverOrRetry(change);
          }
        }),
      );
      return;
    }
    for (let i = 0; i < planned.length; i++) {
      this.ctx.stats.changes++;
      this.sendFrames(planned[i].change, planned[i].targets, authorised[i], false);
    }
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
        await this.deliver(change, undefined, true); // counted in stats.changes by the failed batch
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
   * subscription) in a transaction of its own: one authorisation query for all of them,
   * one read of the row per recipient shape, then the frames.
   */
  readonly deliver = async (change: StoredChange, only?: Target, retry = false): Promise<void> => {
    const targets = only ? [only] : this.targetsOf(change);
    if (targets.length === 0) return;
    if (!only && !retry) this.ctx.stats.changes++;
    const authorised = await asService("realtime fan-out: authorise all subscribers of a patient at once", (tx) =>
      this.authorise(tx, change, targets, only !== undefined),
    );
    this.sendFrames(change, targets, authorised, only !== undefined);
  };

  /** The one authorisation query of a change (for all its recipients), and the shapes of those it may go to. */
  private async decide(tx: Tx, change: StoredChange, targets: Target[], replay: boolean): Promise<{ decisions: Map<string, Decision>; shapes: Set<Shape> }> {
    const { stats } = this.ctx;
    const recipients = new Map<string, Recipient>();
    for (const { conn } of targets) recipients.set(conn.session.sessionId, { sessionId: conn.session.sessionId, userId: conn.session.userId });
    const decisions = await authorizeDelivery(tx, change.table, change.patientId, [...recipients.values()]);
    if (replay) stats.replayAuthQueries++;
    else stats.authQueries++;
    const shapes = new Set<Shape>();
    for (const { conn } of targets) if (decisions.get(conn.session.sessionId)?.allowed) shapes.add(shapeOf(conn.session));
    return { decisions, shapes };
  }

  /** The authorisation of a change and the row in each shape that may see it. */
  private async authorise(tx: Tx, change: StoredChange, targets: Target[], replay: boolean): Promise<Authorised> {
    const { decisions, shapes } = await this.decide(tx, change, targets, replay);
    const records = new Map<Shape, Record<string, unknown> | null>();
    for (const shape of shapes) records.set(shape, await loadRecord(tx, change, shape));
    return { decisions, records };
  }

  /** The frames of an authorised change, to the targets still subscribed; sessions found ended are closed. */
  private sendFrames(change: StoredChange, targets: Target[], { decisions, records }: Authorised, only: boolean): void {
    const { stats, conns } = this.ctx;
    // one frame per topic and shape, encoded once for all its sockets
    const frames = new Map<string, { text: string; bytes: Buffer }>();
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
        const text = JSON.stringify({
          type: "event",
          topic: sub.topic.topic,
          event: change.op,
          table: change.table,
          event_id: change.eventId,
          record,
        });
        frame = { text, bytes: Buffer.from(text) };
        frames.set(key, frame);
      }
      if (sub.replaying && !only) {
        sub.queued.push({ eventId: change.eventId, frame: frame.text });
      } else {
        send(conn, frame.bytes);
        stats.deliveries++;
      }
    }
  }
}

function shapeOf(session: Session): Shape {
  return session.role === "patient" ? "patient" : "staff";
}
