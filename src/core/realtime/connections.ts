import type { WebSocket } from "ws";
import type { Session } from "../auth/session-types";
import { log } from "../log";
import { CLOSE_SESSION_ENDED } from "./close-codes";
import type { HubStats } from "./hub-context";
import type { ErrorFrame, Topic } from "./protocol";

/** One subscription of one socket. While it replays, live frames wait in `queued`. */
export interface Sub {
  topic: Topic;
  replaying: boolean;
  queued: { eventId: number; frame: string }[];
}

/** One open socket. */
export interface Conn {
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

/**
 * The open sockets of one instance: the per-session and per-user caps, the index of
 * sockets by followed patient, and the ways a socket or a subscription ends.
 */
export class Connections {
  private readonly open = new Set<Conn>();
  /** Open sockets per session id and per user id (the caps). */
  private readonly perSession = new Map<string, number>();
  private readonly perUser = new Map<string, number>();
  /** Sockets holding at least one subscription of a patient, by patient id. */
  readonly byPatient = new Map<string, Set<Conn>>();
  private nextConnId = 1;

  constructor(
    private readonly caps: { maxSocketsPerSession: number; maxSocketsPerUser: number },
    private readonly stats: HubStats,
  ) {}

  get size(): number {
    return this.open.size;
  }

  [Symbol.iterator](): IterableIterator<Conn> {
    return this.open.values();
  }

  /** Which cap a new socket of this session would exceed, if any. */
  overCap(session: Session): "session" | "user" | undefined {
    if ((this.perSession.get(session.sessionId) ?? 0) >= this.caps.maxSocketsPerSession) return "session";
    if ((this.perUser.get(session.userId) ?? 0) >= this.caps.maxSocketsPerUser) return "user";
    return undefined;
  }

  /** Counts a new socket against its caps and returns its record. */
  admit(ws: WebSocket, session: Session): Conn {
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
    this.open.add(conn);
    return conn;
  }

  /** Drops a socket that closed (or is being closed) from every count and index. */
  forget(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.open.delete(conn);
    bump(this.perSession, conn.session.sessionId, -1);
    bump(this.perUser, conn.session.userId, -1);
    for (const sub of conn.subs.values()) this.unindex(conn, sub.topic.patientId);
    conn.subs.clear();
  }

  index(conn: Conn, patientId: string): void {
    let set = this.byPatient.get(patientId);
    if (!set) this.byPatient.set(patientId, (set = new Set()));
    set.add(conn);
  }

  unindex(conn: Conn, patientId: string): void {
    const still = [...conn.subs.values()].some((s) => s.topic.patientId === patientId);
    if (still && !conn.closed) return;
    const set = this.byPatient.get(patientId);
    set?.delete(conn);
    if (set?.size === 0) this.byPatient.delete(patientId);
  }

  close(conn: Conn, code: number, reason: string): void {
    if (conn.closed) return;
    conn.ws.close(code, reason);
    this.forget(conn);
  }

  /** The session behind the socket ended (revoked, expired, idle, pending): close with 4001. */
  endSession(conn: Conn): void {
    this.stats.sessionsClosed++;
    this.close(conn, CLOSE_SESSION_ENDED, "session ended");
  }

  /**
   * Ends a subscription whose continuity the feed cannot vouch for, and says so: the client
   * subscribes again with `since` = the last event id it received, and is replayed the rest.
   */
  endSubscription(conn: Conn, sub: Sub, message: string): void {
    if (conn.closed || conn.subs.get(sub.topic.topic) !== sub) return;
    conn.subs.delete(sub.topic.topic);
    this.unindex(conn, sub.topic.patientId);
    this.stats.resyncsRequired++;
    sendError(conn, "resync_required", message, sub.topic.topic);
  }

  /** Every subscription on this instance (a catch-up that would be too long). */
  resyncAll(reason: string): void {
    let n = 0;
    for (const conn of this.open) {
      for (const sub of [...conn.subs.values()]) {
        this.endSubscription(conn, sub, "Events may have been missed; subscribe again with since.");
        n++;
      }
    }
    log.warn({ subscriptions: n, reason }, "realtime: continuity lost; subscribers told to resync");
  }
}

/** Sends a text frame: an object (serialised here), a string, or a string already UTF-8 encoded (one frame for many sockets). */
export function send(conn: Conn, frame: object | string | Buffer): void {
  if (conn.closed || conn.ws.readyState !== conn.ws.OPEN) return;
  if (Buffer.isBuffer(frame)) conn.ws.send(frame, { binary: false });
  else conn.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
}

export function sendError(conn: Conn, code: string, message: string, topic?: string): void {
  const frame: ErrorFrame = { type: "error", code, message };
  if (topic) frame.topic = topic;
  send(conn, frame);
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
