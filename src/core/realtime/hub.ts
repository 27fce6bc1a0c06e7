import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Session } from "../auth/session-types";
import type { Database } from "../db/engine";
import { log } from "../log";
import { FeedContinuity, type OutageReport } from "./catch-up";
import { newestChangeId } from "./change-log";
import { handleClientFrame, type FrameHandlerDeps } from "./client-frames";
import { CLOSE_SESSION_ENDED } from "./close-codes";
import { Connections } from "./connections";
import { FanOut } from "./fan-out";
import { CALL_SIGNALS_CHANNEL, CallRelay } from "./call-relay";
import { HUB_DEFAULTS, newHubStats, type HubContext, type HubOptions } from "./hub-context";
import { checkSessions, heartbeat, pruneChangeEvents } from "./housekeeping";
import { listenForChanges, type ChangeListener } from "./listener";
import { ZChangeNotice } from "./protocol";
import { subscribe } from "./subscribe";
import { authenticateUpgrade, refuse } from "./upgrade";

export type { HubOptions } from "./hub-context";

/** Close codes: 4001 the session ended (close-codes.ts, shared with the client); 1008 policy (flood); 1009 frame too big (ws). */
export { CLOSE_SESSION_ENDED };

/**
 * One instance's realtime endpoint: WebSocket connections, their subscriptions, and the
 * fan-out of database changes to them. Several instances (processes) each run one; they
 * share nothing but PostgreSQL, whose NOTIFY reaches every instance's listener.
 *
 * The hub wires its parts and owns their lifetime; each concern lives in its own file:
 * upgrade.ts + origin-check.ts (authentication of the upgrade), connections.ts (sockets,
 * caps, the index by patient), client-frames.ts + flood-limit.ts (what a client sends),
 * subscribe.ts + replay.ts (the read check and the missed events), fan-out.ts (changes
 * to subscribers), housekeeping.ts (heartbeat, session re-check, pruning), catch-up.ts
 * (continuity across listener outages).
 */
export class RealtimeHub {
  readonly stats = newHubStats();
  private readonly ctx: HubContext;
  private readonly wss: WebSocketServer;
  private readonly fanOut: FanOut;
  private readonly frames: FrameHandlerDeps;
  /** Telehealth signaling (call-relay.ts). */
  readonly calls: CallRelay;
  private listener?: ChangeListener;
  private readonly continuity: FeedContinuity;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: Database,
    options: HubOptions = {},
  ) {
    const opts = { ...HUB_DEFAULTS, ...options };
    this.ctx = { opts, stats: this.stats, conns: new Connections(opts, this.stats), frontier: 0, stopped: false };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload, perMessageDeflate: false });
    this.fanOut = new FanOut(this.ctx);
    this.calls = new CallRelay(this.ctx.conns);
    this.frames = {
      calls: this.calls,
      conns: this.ctx.conns,
      maxFramesPer10s: opts.maxFramesPer10s,
      subscribe: (conn, topic, since) => subscribe(this.ctx, this.fanOut.deliver, conn, topic, since),
    };
    this.continuity = new FeedContinuity(
      {
        enqueue: (change) => this.fanOut.enqueue(change),
        frontier: () => this.ctx.frontier,
        advanceFrontier: (id) => {
          if (id > this.ctx.frontier) this.ctx.frontier = id;
        },
        subscribedPatients: () => [...this.ctx.conns.byPatient.keys()],
        resyncAll: (reason) => this.ctx.conns.resyncAll(reason),
      },
      { maxEvents: opts.maxCatchUpEvents },
    );
  }

  async start(): Promise<void> {
    this.ctx.frontier = await newestChangeId();
    this.listener = await listenForChanges(this.db, {
      notice: (payload) => this.onNotice(payload),
      lost: (reason) => this.continuity.lost(reason),
      resumed: () => this.continuity.resumed(),
      channels: { [CALL_SIGNALS_CHANNEL]: (payload) => this.calls.onNotice(payload) },
    });
    this.calls.start();
    const { opts, conns } = this.ctx;
    this.timers.push(
      setInterval(() => heartbeat(conns), opts.heartbeatMs),
      setInterval(() => void this.checkSessions(), opts.sessionCheckMs),
      setInterval(() => void pruneChangeEvents(opts.keepEvents), opts.pruneEveryMs),
    );
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    this.ctx.stopped = true;
    this.fanOut.halt();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.listener?.stop();
    await this.continuity.stop();
    await this.calls.stop();
    for (const c of this.ctx.conns) c.ws.close(1001, "server shutting down");
    await this.fanOut.settled();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    for (const c of this.ctx.conns) c.ws.terminate();
  }

  /** Whether changes reach this instance: started, not stopped, and its LISTEN connection up (readiness). */
  get listening(): boolean {
    return !this.ctx.stopped && (this.listener?.connected ?? false);
  }

  /** Number of open sockets (for tests and the bench). */
  get connections(): number {
    return this.ctx.conns.size;
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

  /** Closes every socket whose session has ended (revoked, expired, idle staff, pending), in one query for all of them. */
  async checkSessions(): Promise<void> {
    await checkSessions(this.ctx.conns);
  }

  /** The `upgrade` listener for /realtime/v1: authenticates, then hands over to ws. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => socket.destroy());
    authenticateUpgrade(req)
      .then((session) => {
        if (this.ctx.stopped) return refuse(socket, 503, "Service Unavailable");
        if (!session) return refuse(socket, 401, "Unauthorized");
        // A session that must enrol in two-factor authentication first gets no feed.
        if (session.mfaPending) return refuse(socket, 403, "Forbidden", "Two-factor authentication is required first.");
        const over = this.ctx.conns.overCap(session);
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

  private onConnection(ws: WebSocket, session: Session): void {
    const { conns } = this.ctx;
    if (conns.overCap(session)) {
      // a handshake that completed after another one took the last place
      ws.close(1008, "too many connections");
      return;
    }
    const conn = conns.admit(ws, session);
    log.info({ conn: conn.id, userId: session.userId }, "realtime connected");
    ws.on("pong", () => (conn.alive = true));
    ws.on("message", (data, isBinary) => handleClientFrame(this.frames, conn, data, isBinary));
    ws.on("error", (err) => log.info({ conn: conn.id, err: err.message }, "realtime socket error"));
    ws.on("close", () => {
      conns.forget(conn);
      this.calls.forget(conn);
    });
  }

  /** A NOTIFY payload from the listener: parsed, then handed to the continuity check (which enqueues it). */
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
}
