import { log } from "../log";
import { changesAfter } from "./change-log";
import type { StoredChange } from "./shapes";

/** What the catch-up needs from the hub. */
export interface CatchUpHost {
  /** Hands a change to delivery; false when that event id was handed over already. Raises the frontier. */
  enqueue(change: StoredChange): boolean;
  /** The highest event id handed to delivery so far. */
  frontier(): number;
  /** Raises the frontier without delivering (events of patients nobody here follows). */
  advanceFrontier(id: number): void;
  /** The patients this instance has subscribers for. */
  subscribedPatients(): string[];
  /** Continuity cannot be guaranteed: end every subscription with `resync_required`. */
  resyncAll(reason: string): void;
}

export interface CatchUpOptions {
  /** More missed events than this (of followed patients) and clients are told to resync instead. */
  maxEvents: number;
  pageSize?: number;
  /**
   * Ids re-read below the resume point: NOTIFY fires at commit, so an event with a lower id
   * may commit (and be announced) after a higher one, just as the connection drops. Ids
   * already handed over are skipped.
   */
  rewind?: number;
}

/** What the last outage of the listener cost (logs, tests, bench:realtime). */
export interface OutageReport {
  /** Catch-up read events after this id (the frontier when the listener was lost, less the rewind). */
  from: number;
  /** Events the catch-up read and handed to delivery (the others had been handed over already). */
  recovered: number;
  lostAt: number;
  resumedAt: number;
  caughtUpAt: number;
  /** Clients were told to resubscribe with `since` (too many missed events). */
  resynced: boolean;
}

const BUFFER_MAX = 50_000;

/**
 * Keeps the feed lossless across a lost LISTEN connection (docs/realtime.md, "Outages").
 *
 * While the listener is deaf, and until the catch-up has read the change log, live
 * notifications wait in a buffer instead of being delivered: otherwise one handled before
 * the catch-up would move the frontier past the gap. The resume point is taken when the
 * connection is lost. Once the listener is back (LISTEN first, so nothing committed later
 * can slip between), app.change_events is read from there, oldest first, and handed to
 * delivery; then the buffered notifications, less the ids the catch-up already handed over.
 * A failed read is retried with backoff for as long as it takes: delivery waits, nothing is
 * skipped. Only when more events were missed than `maxEvents` are clients told to resync.
 */
export class FeedContinuity {
  /** The listener is down. */
  private deaf = false;
  /** Not live: notifications are buffered until the catch-up has read the change log. */
  private catching = false;
  private buffer: StoredChange[] = [];
  /** Another read is needed before going live (the buffer overflowed, or the listener came back again). */
  private passNeeded = false;
  private cursor = 0;
  private from = 0;
  private recovered = 0;
  private lostAt = 0;
  private resumedAt = 0;
  private running?: Promise<void>;
  private stopped = false;
  private wake?: () => void;
  last?: OutageReport;
  /** Outages caught up (tests and the bench wait on it). */
  outages = 0;

  constructor(
    private readonly host: CatchUpHost,
    private readonly opts: CatchUpOptions,
  ) {}

  /** True while notifications are being held back (listener deaf or catching up). */
  get catchingUp(): boolean {
    return this.catching;
  }

  /** A live notification: delivered now, or held until the catch-up has run. */
  offer(change: StoredChange): void {
    if (!this.catching) {
      this.host.enqueue(change);
      return;
    }
    if (this.buffer.length >= BUFFER_MAX) {
      // Too many to hold: drop them and read the change log once more instead.
      this.buffer = [];
      this.passNeeded = true;
    }
    this.buffer.push(change);
  }

  /** The listener lost its subscription: notifications may be missed from now on. */
  lost(reason: string): void {
    if (this.stopped || this.deaf) return;
    this.deaf = true;
    if (this.catching) return; // lost again while catching up: keep the earlier resume point
    this.catching = true;
    this.lostAt = Date.now();
    this.recovered = 0;
    this.cursor = this.from = Math.max(0, this.host.frontier() - (this.opts.rewind ?? 500));
    log.warn({ reason, resumeAfter: this.cursor }, "realtime: change listener lost; holding deliveries until it is back");
  }

  /** The listener is subscribed again: read what was committed meanwhile, then go live. */
  resumed(): void {
    if (this.stopped) return;
    if (!this.catching) this.lost("resumed without a recorded loss");
    this.deaf = false;
    this.resumedAt = Date.now();
    this.passNeeded = true;
    this.startRun();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private startRun(): void {
    if (this.running) return; // the running loop sees passNeeded and reads again
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.catching && this.passNeeded && !this.deaf && !this.stopped) this.startRun();
    });
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let resynced = false;
    while (!this.stopped && !this.deaf && this.passNeeded) {
      this.passNeeded = false;
      try {
        resynced = (await this.readPass()) || resynced;
        attempt = 0;
      } catch (e) {
        const delay = Math.min(250 * 2 ** attempt++, 5_000);
        log.warn({ err: (e as Error).message, attempt, retryInMs: delay }, "realtime catch-up read failed; retrying");
        this.passNeeded = true;
        await this.sleep(delay);
      }
    }
    // Deaf again: the next resumed() reads on from the cursor. Stopped: nothing to do.
    if (this.stopped || this.deaf) return;
    const held = this.buffer;
    this.buffer = [];
    this.catching = false;
    for (const c of held) this.host.enqueue(c);
    this.outages++;
    this.last = {
      from: this.from,
      recovered: this.recovered,
      lostAt: this.lostAt,
      resumedAt: this.resumedAt,
      caughtUpAt: Date.now(),
      resynced,
    };
    log.info(
      { recovered: this.recovered, deafMs: this.resumedAt - this.lostAt, catchUpMs: Date.now() - this.resumedAt, resynced },
      "realtime: caught up after the change listener's outage",
    );
  }

  /** Reads the change log from the cursor to its end. True when clients were told to resync instead. */
  private async readPass(): Promise<boolean> {
    const pageSize = this.opts.pageSize ?? 1000;
    for (;;) {
      const { changes, newestId } = await changesAfter(this.cursor, this.host.subscribedPatients(), pageSize);
      if (this.stopped) return false;
      if (this.recovered + changes.length > this.opts.maxEvents) {
        // Delivering that many late would take longer than clients replaying what they need.
        this.cursor = Math.max(this.cursor, newestId);
        this.host.advanceFrontier(this.cursor);
        this.host.resyncAll("too many events missed while the change listener was down");
        return true;
      }
      for (const c of changes) {
        if (this.host.enqueue(c)) this.recovered++;
        this.cursor = c.eventId;
      }
      if (changes.length < pageSize) {
        this.host.advanceFrontier(newestId);
        return false;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
