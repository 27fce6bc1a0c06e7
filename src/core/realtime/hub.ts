import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { sql } from "kysely";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { authenticateAccessToken } from "../auth/sessions";
import type { Session } from "../auth/session-types";
import { recordRead, type ReadKind } from "../audit/record";
import type { Database } from "../db/engine";
import { asService, withUser } from "../db/with-user";
import { AppError } from "../errors";
import { forwardedHost, trustedProxyHops } from "../http/client-address";
import { log } from "../log";
import { authorizeDelivery, endedSessions, type Recipient } from "./authorize-delivery";
import { FeedContinuity, type OutageReport } from "./catch-up";
import { newestChangeId, pruningHorizon, topicChangesAfter } from "./change-log";
import { listenForChanges, type ChangeListener } from "./listener";
import {
  TABLES_BY_KIND,
  ZChangeNotice,
  ZClientFrame,
  parseTopic,
  type ClientFrame,
  type ErrorFrame,
  type Topic,
} from "./protocol";
import { loadRecord, type Shape, type StoredChange } from "./shapes";
import { CLOSE_SESSION_ENDED } from "./close-codes";
import { readCookieHeader } from "../http/read-cookie";
import { ACCESS_COOKIE } from "../auth/cookie-names";

export interface HubOptions {
  /** Subscriptions one socket may hold. */
  maxSubscriptions?: number;
  /** Largest client frame in bytes; a bigger one closes the socket (1009). */
  maxPayload?: number;
  /** Client frames allowed per 10 s before the socket is closed (1008). */
  maxFramesPer10s?: number;
  heartbeatMs?: number;
  /** How often every socket's session is re-checked (besides each delivery). */
  sessionCheckMs?: number;
  pruneEveryMs?: number;
  /** How long change events are kept for replay (a PostgreSQL interval). */
  keepEvents?: string;
  /** Open sockets one session may hold on this instance (more are refused with HTTP 429). */
  maxSocketsPerSession?: number;
  /** Open sockets one user may hold on this instance, all sessions together. */
  maxSocketsPerUser?: number;
  /** How long a failing delivery is retried before its subscribers are told `resync_required`. */
  deliveryRetryMs?: number;
  /** Missed events (of followed patients) a catch-up delivers; beyond it, every subscriber is told `resync_required`. */
  maxCatchUpEvents?: number;
}

const DEFAULTS: Required<HubOptions> = {
  maxSubscriptions: 20,
  maxPayload: 16 * 1024,
  maxFramesPer10s: 100,
  heartbeatMs: 30_000,
  sessionCheckMs: 30_000,
  pruneEveryMs: 3_600_000,
  keepEvents: "24 hours",
  maxSocketsPerSession: envInt("REALTIME_MAX_SOCKETS_PER_SESSION", 20),
  maxSocketsPerUser: envInt("REALTIME_MAX_SOCKETS_PER_USER", 50),
  deliveryRetryMs: 30_000,
  maxCatchUpEvents: 20_000,
};

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** Close codes: 4001 the session ended (close-codes.ts, shared with the client); 1008 policy (flood); 1009 frame too big (ws). */
export { CLOSE_SESSION_ENDED };

const REPLAY_PAGE = 200;
const REPLAY_MAX_PAGES = 25;

interface Sub {
  topic: Topic;
  replaying: boolean;
  queued: { eventId: number; frame: string }[];
}

interface Conn {
  id: number;
  ws: WebSocket;
  session: Session;
  subs: Map<string, Sub>;
  pendingSubscribes: number;
  alive: boolean;
  frames: number;
  windowStart: number;
  closed: boolean;
}

const AUDIT_KIND: Record<Topic["kind"], ReadKind> = { messages: "messages", vitals: "vitals", chart: "patient_chart" };

/**
 * One instance's realtime endpoint: WebSocket connections, their subscriptions, and the
 * fan-out of database changes to them. Several instances (processes) each run one; they
 * share nothing but PostgreSQL, whose NOTIFY reaches every instance's listener.
 */
export class RealtimeHub {
  readonly stats = {
    changes: 0,
    authQueries: 0,
    deliveries: 0,
    /** Delivery attempts that failed (each is tried again until `deliveryRetryMs`). */
    deliveryFailures: 0,
    replayed: 0,
    replayAuthQueries: 0,
    sessionsClosed: 0,
    /** Subscriptions ended with `resync_required`: the feed could not vouch for what they missed. */
    resyncsRequired: 0,
  };
  private readonly opts: Required<HubOptions>;
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Conn>();
  /** Open sockets per session id and per user id (the caps). */
  private readonly perSession = new Map<string, number>();
  private readonly perUser = new Map<string, number>();
  private readonly byPatient = new Map<string, Set<Conn>>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly recent = new Set<number>();
  private lastSeenEventId = 0;
  private nextConnId = 1;
  private listener?: ChangeListener;
  private readonly continuity: FeedContinuity;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private stopping?: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.stopping = resolve));

  constructor(
    private readonly db: Database,
    options: HubOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxPayload, perMessageDeflate: false });
    this.continuity = new FeedContinuity(
      {
        enqueue: (change) => this.enqueue(change),
        frontier: () => this.lastSeenEventId,
        advanceFrontier: (id) => {
          if (id > this.lastSeenEventId) this.lastSeenEventId = id;
        },
        subscribedPatients: () => [...this.byPatient.keys()],
        resyncAll: (reason) => this.resyncAll(reason),
      },
      { maxEvents: this.opts.maxCatchUpEvents },
    );
  }

  async start(): Promise<void> {
    this.lastSeenEventId = await newestChangeId();
    this.listener = await listenForChanges(this.db, {
      notice: (payload) => this.onNotice(payload),
      lost: (reason) => this.continuity.lost(reason),
      resumed: () => this.continuity.resumed(),
    });
    this.timers.push(
      setInterval(() => this.heartbeat(), this.opts.heartbeatMs),
      setInterval(() => void this.checkSessions(), this.opts.sessionCheckMs),
      setInterval(() => void this.prune(), this.opts.pruneEveryMs),
    );
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping?.();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.listener?.stop();
    await this.continuity.stop();
    for (const c of this.conns) c.ws.close(1001, "server shutting down");
    await Promise.allSettled([...this.chains.values()]);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    for (const c of this.conns) c.ws.terminate();
  }

  /** Whether changes reach this instance: started, not stopped, and its LISTEN connection up (readiness). */
  get listening(): boolean {
    return !this.stopped && (this.listener?.connected ?? false);
  }

  /** Number of open sockets (for tests and the bench). */
  get connections(): number {
    return this.conns.size;
  }

  /** The change listener's last outage and its catch-up, once caught up (tests, the bench). */
  get lastOutage(): OutageReport | undefined {
    return this.continuity.last;
  }

  /** Outages of the change listener caught up so far. */
  get outagesCaughtUp(): number {
    return this.continuity.outages;
  }

  /**
   * Drops the change listener's subscription and takes it again after `deafMs`, as after a
   * lost connection. The tests' way to make the embedded engine's listener miss
   * notifications: it has no connection to kill.
   */
  async restartListener(deafMs?: number): Promise<void> {
    await this.listener?.restart(deafMs);
  }

  // ------------------------------------------------------------------ connections

  /** The `upgrade` listener for /realtime/v1: authenticates, then hands over to ws. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => socket.destroy());
    this.authenticate(req)
      .then((session) => {
        if (this.stopped) return refuse(socket, 503, "Service Unavailable");
        if (!session) return refuse(socket, 401, "Unauthorized");
        // A session that must enrol in two-factor authentication first gets no feed.
        if (session.mfaPending) return refuse(socket, 403, "Forbidden", "Two-factor authentication is required first.");
        const over = this.overCap(session);
        if (over) {
          log.warn({ userId: session.userId, cap: over }, "realtime connection refused: too many sockets");
          return refuse(socket, 429, "Too Many Requests", `Too many open connections for this ${over}.`);
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, session));
      })
      .catch((e: Error) => {
        log.error({ err: e.message }, "realtime upgrade failed");
        refuse(socket, 500, "Internal Server Error");
      });
  };

  private async authenticate(req: IncomingMessage): Promise<Session | null> {
    const url = new URL(req.url ?? "/", "http://localhost");
    let token = url.searchParams.get("access_token");
    if (!token) {
      token = readCookieHeader(req.headers.cookie, ACCESS_COOKIE) ?? null;
      // Cross-site WebSocket hijacking: a cookie rides along from any page, so a browser
      // connection authenticated by cookie must come from our own origin.
      const origin = req.headers.origin;
      if (token && origin) {
        let host: string | undefined;
        try {
          host = new URL(origin).host;
        } catch {
          return null;
        }
        // X-Forwarded-Host is believed only behind a trusted proxy (TRUST_PROXY), as it wrote it.
        const expected = forwardedHost(req.headers["x-forwarded-host"], trustedProxyHops()) ?? req.headers.host;
        if (host !== expected) return null;
      }
    }
    if (!token || token.length > 4096) return null;
    try {
      return await authenticateAccessToken(token);
    } catch {
      return null;
    }
  }

  /** Which cap a new socket of this session would exceed, if any. */
  private overCap(session: Session): "session" | "user" | undefined {
    if ((this.perSession.get(session.sessionId) ?? 0) >= this.opts.maxSocketsPerSession) return "session";
    if ((this.perUser.get(session.userId) ?? 0) >= this.opts.maxSocketsPerUser) return "user";
    return undefined;
  }

  private onConnection(ws: WebSocket, session: Session): void {
    if (this.overCap(session)) {
      // a handshake that completed after another one took the last place
      ws.close(1008, "too many connections");
      return;
    }
    bump(this.perSession, session.sessionId, 1);
    bump(this.perUser, session.userId, 1);
    const conn: Conn = {
      id: this.nextConnId++,
      ws,
      session,
      subs: new Map(),
      pendingSubscribes: 0,
      alive: true,
      frames: 0,
      windowStart: Date.now(),
      closed: false,
    };
    this.conns.add(conn);
    log.info({ conn: conn.id, userId: session.userId }, "realtime connected");
    ws.on("pong", () => (conn.alive = true));
    ws.on("message", (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on("error", (err) => log.info({ conn: conn.id, err: err.message }, "realtime socket error"));
    ws.on("close", () => this.forget(conn));
  }

  private forget(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.conns.delete(conn);
    bump(this.perSession, conn.session.sessionId, -1);
    bump(this.perUser, conn.session.userId, -1);
    for (const sub of conn.subs.values()) this.unindex(conn, sub.topic.patientId);
    conn.subs.clear();
  }

  private unindex(conn: Conn, patientId: string): void {
    const still = [...conn.subs.values()].some((s) => s.topic.patientId === patientId);
    if (still && !conn.closed) return;
    const set = this.byPatient.get(patientId);
    set?.delete(conn);
    if (set?.size === 0) this.byPatient.delete(patientId);
  }

  private close(conn: Conn, code: number, reason: string): void {
    if (conn.closed) return;
    conn.ws.close(code, reason);
    this.forget(conn);
  }

  private send(conn: Conn, frame: object | string): void {
    if (conn.closed || conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  private sendError(conn: Conn, code: string, message: string, topic?: string): void {
    const frame: ErrorFrame = { type: "error", code, message };
    if (topic) frame.topic = topic;
    this.send(conn, frame);
  }

  // ------------------------------------------------------------------ client frames

  private onFrame(conn: Conn, data: RawData, isBinary: boolean): void {
    const now = Date.now();
    if (now - conn.windowStart > 10_000) {
      conn.windowStart = now;
      conn.frames = 0;
    }
    if (++conn.frames > this.opts.maxFramesPer10s) {
      this.sendError(conn, "rate_limited", "Too many messages; the connection is closed.");
      this.close(conn, 1008, "rate limited");
      return;
    }
    if (isBinary) return this.sendError(conn, "invalid_message", "Send JSON text frames.");
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return this.sendError(conn, "invalid_message", "The message is not valid JSON.");
    }
    const frame = ZClientFrame.safeParse(parsed);
    if (!frame.success) {
      return this.sendError(conn, "invalid_message", "Expected {\"type\":\"subscribe\"|\"unsubscribe\"|\"ping\", ...}.");
    }
    const topic = frame.data.type === "ping" ? undefined : parseTopic(frame.data.topic)?.topic;
    this.dispatch(conn, frame.data).catch((e: Error) => {
      log.error({ conn: conn.id, err: e.message }, "realtime frame failed");
      // with the topic, so a client can subscribe again later
      this.sendError(conn, "internal_error", "Something went wrong on our side.", topic);
    });
  }

  private async dispatch(conn: Conn, frame: ClientFrame): Promise<void> {
    if (frame.type === "ping") return this.send(conn, { type: "pong" });
    const topic = parseTopic(frame.topic);
    if (!topic) {
      return this.sendError(conn, "invalid_topic", "Topics look like patient:<uuid>:messages|vitals|chart.", frame.topic.slice(0, 200));
    }
    if (frame.type === "unsubscribe") {
      if (conn.subs.delete(topic.topic)) this.unindex(conn, topic.patientId);
      return this.send(conn, { type: "unsubscribed", topic: topic.topic });
    }
    await this.subscribe(conn, topic, frame.since === undefined ? undefined : Number(frame.since));
  }

  private async subscribe(conn: Conn, topic: Topic, since: number | undefined): Promise<void> {
    if (conn.subs.has(topic.topic)) return this.send(conn, { type: "subscribed", topic: topic.topic });
    if (conn.subs.size + conn.pendingSubscribes >= this.opts.maxSubscriptions) {
      return this.sendError(conn, "too_many_subscriptions", `At most ${this.opts.maxSubscriptions} subscriptions per connection.`, topic.topic);
    }
    conn.pendingSubscribes++;
    let allowed: boolean;
    try {
      allowed = await this.mayRead(conn.session, topic);
    } catch (e) {
      // withUser checks the session row first: ended, idle or pending closes the socket
      if (e instanceof AppError && (e.status === 401 || e.status === 403)) {
        this.stats.sessionsClosed++;
        this.close(conn, CLOSE_SESSION_ENDED, "session ended");
        return;
      }
      throw e;
    } finally {
      conn.pendingSubscribes--;
    }
    if (conn.closed) return;
    // Indistinguishable from a patient that does not exist.
    if (!allowed) return this.sendError(conn, "not_found", "No such topic, or it is not visible to you.", topic.topic);

    const sub: Sub = { topic, replaying: since !== undefined, queued: [] };
    conn.subs.set(topic.topic, sub);
    let set = this.byPatient.get(topic.patientId);
    if (!set) this.byPatient.set(topic.patientId, (set = new Set()));
    set.add(conn);
    this.send(conn, { type: "subscribed", topic: topic.topic, last_event_id: this.lastSeenEventId });
    if (since === undefined) return;
    try {
      await this.replay(conn, sub, since);
    } catch (e) {
      // A replay cut short leaves a gap the client cannot see: end the subscription.
      log.warn({ conn: conn.id, err: (e as Error).message }, "realtime replay failed");
      this.endSubscription(conn, sub, "The missed events could not be sent; subscribe again with since.");
    }
  }

  /**
   * May this user subscribe? The same function the read policies use, as the user
   * (withUser), and the subscription itself is audited as a read of that part of the chart.
   */
  private async mayRead(session: Session, topic: Topic): Promise<boolean> {
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

  /**
   * Sends what the client missed since `since`, then what arrived live meanwhile. Throws
   * if the change log cannot be read; the live events held meanwhile are then dropped (the
   * caller ends the subscription, and the client's next `since` covers them).
   */
  private async replay(conn: Conn, sub: Sub, since: number): Promise<void> {
    const replayed = new Set<number>();
    let complete = false;
    const current = () => !conn.closed && conn.subs.get(sub.topic.topic) === sub;
    try {
      if (since < (await pruningHorizon())) {
        this.sendError(conn, "replay_unavailable", "Events that old are no longer kept; reload the data over HTTP.", sub.topic.topic);
        complete = true;
        return;
      }
      let cursor = since;
      for (let page = 0; page < REPLAY_MAX_PAGES; page++) {
        const events = await topicChangesAfter(sub.topic.patientId, TABLES_BY_KIND[sub.topic.kind], cursor, REPLAY_PAGE);
        for (const change of events) {
          if (!current()) return;
          await this.deliver(change, { conn, sub });
          replayed.add(change.eventId);
          cursor = change.eventId;
          this.stats.replayed++;
        }
        if (events.length < REPLAY_PAGE) {
          complete = true;
          return;
        }
      }
      this.sendError(conn, "replay_truncated", "Too many missed events; reload the data over HTTP.", sub.topic.topic);
      complete = true;
    } finally {
      sub.replaying = false;
      if (complete && current()) for (const q of sub.queued) if (!replayed.has(q.eventId)) this.send(conn, q.frame);
      sub.queued = [];
    }
  }

  /**
   * Ends a subscription whose continuity the feed cannot vouch for, and says so: the client
   * subscribes again with `since` = the last event id it received, and is replayed the rest.
   */
  private endSubscription(conn: Conn, sub: Sub, message: string): void {
    if (conn.closed || conn.subs.get(sub.topic.topic) !== sub) return;
    conn.subs.delete(sub.topic.topic);
    this.unindex(conn, sub.topic.patientId);
    this.stats.resyncsRequired++;
    this.sendError(conn, "resync_required", message, sub.topic.topic);
  }

  /** Every subscription on this instance (a catch-up that would be too long). */
  private resyncAll(reason: string): void {
    let n = 0;
    for (const conn of this.conns) {
      for (const sub of [...conn.subs.values()]) {
        this.endSubscription(conn, sub, "Events may have been missed; subscribe again with since.");
        n++;
      }
    }
    log.warn({ subscriptions: n, reason }, "realtime: continuity lost; subscribers told to resync");
  }

  // ------------------------------------------------------------------ changes

  private onNotice(payload: string): void {
    let notice;
    try {
      notice = ZChangeNotice.parse(JSON.parse(payload));
    } catch {
      log.warn("realtime: ignored a malformed change notice");
      return;
    }
    this.continuity.offer({
      eventId: notice.event_id,
      table: notice.table,
      op: notice.op,
      recordIds: notice.id ? [notice.id] : [],
      patientId: notice.patient_id,
    });
  }

  /**
   * Changes of one patient are delivered in order; different patients in parallel. False
   * when this event id was handed over already (a notification and the catch-up both
   * bring it).
   */
  private enqueue(change: StoredChange): boolean {
    if (this.stopped || this.recent.has(change.eventId)) return false;
    this.recent.add(change.eventId);
    if (this.recent.size > 20_000) {
      const drop = [...this.recent].slice(0, 10_000);
      for (const id of drop) this.recent.delete(id);
    }
    if (change.eventId > this.lastSeenEventId) this.lastSeenEventId = change.eventId;
    if (!this.byPatient.has(change.patientId)) return true; // nobody here listens: no query at all
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
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deliver(change, undefined, attempt > 0);
        return;
      } catch (e) {
        this.stats.deliveryFailures++;
        if (this.stopped) return;
        const err = (e as Error).message;
        if (Date.now() - started >= this.opts.deliveryRetryMs) {
          log.error({ eventId: change.eventId, attempts: attempt + 1, err }, "realtime delivery failed; subscribers told to resync");
          for (const { conn, sub } of this.targetsOf(change)) {
            this.endSubscription(conn, sub, "An event could not be delivered; subscribe again with since.");
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
  private targetsOf(change: StoredChange): { conn: Conn; sub: Sub }[] {
    const targets: { conn: Conn; sub: Sub }[] = [];
    for (const conn of this.byPatient.get(change.patientId) ?? []) {
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
  private async deliver(change: StoredChange, only?: { conn: Conn; sub: Sub }, retry = false): Promise<void> {
    const targets = only ? [only] : this.targetsOf(change);
    if (targets.length === 0) return;
    if (!only && !retry) this.stats.changes++;

    const recipients = new Map<string, Recipient>();
    for (const { conn } of targets) recipients.set(conn.session.sessionId, { sessionId: conn.session.sessionId, userId: conn.session.userId });

    const { decisions, records } = await asService("realtime fan-out: authorise all subscribers of a patient at once", async (tx) => {
      const decisions = await authorizeDelivery(tx, change.table, change.patientId, [...recipients.values()]);
      if (only) this.stats.replayAuthQueries++;
      else this.stats.authQueries++;
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
        this.stats.sessionsClosed++;
        this.close(conn, CLOSE_SESSION_ENDED, "session ended");
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
        this.send(conn, frame);
        this.stats.deliveries++;
      }
    }
  }

  // ------------------------------------------------------------------ housekeeping

  private heartbeat(): void {
    for (const conn of this.conns) {
      if (!conn.alive) {
        conn.ws.terminate();
        this.forget(conn);
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Closes every socket whose session has ended (revoked, expired, idle staff, pending), in one query for all of them. */
  async checkSessions(): Promise<void> {
    if (this.conns.size === 0) return;
    const recipients = new Map<string, Recipient>();
    for (const c of this.conns) recipients.set(c.session.sessionId, { sessionId: c.session.sessionId, userId: c.session.userId });
    try {
      const ended = await asService("realtime: re-check the sessions of open sockets", (tx) =>
        endedSessions(tx, [...recipients.values()]),
      );
      for (const c of this.conns) {
        if (ended.has(c.session.sessionId)) {
          this.stats.sessionsClosed++;
          this.close(c, CLOSE_SESSION_ENDED, "session ended");
        }
      }
    } catch (e) {
      log.error({ err: (e as Error).message }, "realtime session check failed");
    }
  }

  private async prune(): Promise<void> {
    try {
      await asService("realtime: prune old change events", (tx) =>
        sql`select app.prune_change_events(${this.opts.keepEvents}::interval)`.execute(tx),
      );
    } catch (e) {
      log.error({ err: (e as Error).message }, "realtime prune failed");
    }
  }
}

function shapeOf(session: Session): Shape {
  return session.role === "patient" ? "patient" : "staff";
}

function refuse(socket: Duplex, status: number, text: string, message?: string): void {
  if (socket.destroyed) return;
  if (!message) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  const code = status === 429 ? "too_many_connections" : status === 403 ? "mfa_required" : "refused";
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

