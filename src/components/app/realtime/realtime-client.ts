/**
 * The browser side of /realtime/v1 (docs/realtime.md): one WebSocket per tab multiplexing
 * topics, ref-counted subscriptions, reconnect with capped exponential backoff and jitter,
 * and no gaps: every topic is resubscribed with `since` = the last event id seen on it,
 * after a reconnect and whenever the server says `resync_required` (it could not deliver
 * everything on that topic, e.g. during a database outage, and ended the subscription).
 *
 * No React here, and every browser dependency (WebSocket, timers, fetch, locks) is
 * injectable, so the reconnect logic is unit-tested with a fake socket
 * (realtime-client.test.ts). `use-topic.ts` holds the per-tab singleton and the hook.
 */
import { CLOSE_SESSION_ENDED } from "@/core/realtime/close-codes";

export type RealtimeStatus = "connecting" | "live" | "reconnecting" | "offline";

export interface RealtimeEvent {
  topic: string;
  event: "INSERT" | "UPDATE" | "DELETE";
  record: Record<string, unknown>;
  id?: number;
}

export { CLOSE_SESSION_ENDED };

// ------------------------------------------------------------------ pure helpers

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential, capped at `maxMs`,
 * with "equal jitter" (half fixed, half random) so a server restart does not bring every
 * tab back in the same millisecond, while never retrying immediately.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(exp / 2 + (exp / 2) * r);
}

/** ws: or wss: to /realtime/v1 on the page's own host (the cookie session goes along). */
export function realtimeUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/realtime/v1`;
}

export type ServerFrame =
  | { type: "subscribed"; topic: string; lastEventId?: number }
  | { type: "unsubscribed"; topic: string }
  | { type: "event"; topic: string; event: RealtimeEvent["event"]; record: Record<string, unknown>; eventId?: number }
  | { type: "error"; code: string; message: string; topic?: string }
  | { type: "pong" };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function eventIdOf(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

/** Parses one text frame from the server; null for anything that is not a known frame. */
export function parseServerFrame(data: unknown): ServerFrame | null {
  if (typeof data !== "string") return null;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isRecord(v) || typeof v.type !== "string") return null;
  switch (v.type) {
    case "pong":
      return { type: "pong" };
    case "subscribed":
      return typeof v.topic === "string" ? { type: "subscribed", topic: v.topic, lastEventId: eventIdOf(v.last_event_id) } : null;
    case "unsubscribed":
      return typeof v.topic === "string" ? { type: "unsubscribed", topic: v.topic } : null;
    case "error":
      return typeof v.code === "string"
        ? { type: "error", code: v.code, message: typeof v.message === "string" ? v.message : "", topic: typeof v.topic === "string" ? v.topic : undefined }
        : null;
    case "event":
      if (typeof v.topic !== "string" || !isRecord(v.record)) return null;
      if (v.event !== "INSERT" && v.event !== "UPDATE" && v.event !== "DELETE") return null;
      return { type: "event", topic: v.topic, event: v.event, record: v.record, eventId: eventIdOf(v.event_id) };
    default:
      return null;
  }
}

// ------------------------------------------------------------------ the connection

/** The subset of the browser's WebSocket the client uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; wasClean?: boolean }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Whether the session behind the cookies is still usable: "ok", "expired" (even after a refresh) or "unknown" (network). */
export type SessionCheck = () => Promise<"ok" | "expired" | "unknown">;

export interface RealtimeClientDeps {
  url: string;
  createSocket: (url: string) => SocketLike;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  random?: () => number;
  checkSession?: SessionCheck;
  backoff?: BackoffOptions;
  /** A client-side ping every this many ms; no answer within `pongTimeoutMs` means the link is dead. */
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** With no topic left, the socket is closed after this long (navigation between charts keeps it). */
  idleCloseMs?: number;
}

export interface TopicHandlers {
  onEvent: (e: RealtimeEvent) => void;
  /** Called when the server cannot replay what was missed (reload over HTTP). */
  onGap?: () => void;
}

type TopicPhase = "pending" | "subscribed" | "refused";

interface TopicState {
  handlers: Set<TopicHandlers>;
  lastEventId?: number;
  phase: TopicPhase;
  everSubscribed: boolean;
  /** The server ended this subscription (resync_required): its events are ignored until it is subscribed again. */
  ended: boolean;
  /** A resubscription waiting for its backoff (after resync_required or internal_error). */
  retryTimer: unknown;
  retries: number;
}

const OPEN = 1;

export class RealtimeClient {
  private socket: SocketLike | null = null;
  private opened = false;
  private everLive = false;
  private attempt = 0;
  private state: RealtimeStatus = "connecting";
  private stopped = false;
  private checking = false;
  private readonly topics = new Map<string, TopicState>();
  private readonly listeners = new Set<() => void>();
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private idleTimer: unknown = null;

  constructor(private readonly deps: RealtimeClientDeps) {}

  /** Adds a listener for `topic`; the returned function removes it (the last one unsubscribes). */
  subscribe(topic: string, handlers: TopicHandlers): () => void {
    let t = this.topics.get(topic);
    if (!t) {
      t = { handlers: new Set(), phase: "pending", everSubscribed: false, ended: false, retryTimer: null, retries: 0 };
      this.topics.set(topic, t);
      this.sendSubscribe(topic, t);
    }
    t.handlers.add(handlers);
    this.cancelIdleClose();
    this.ensureSocket();
    this.emit();
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const cur = this.topics.get(topic);
      if (!cur) return;
      cur.handlers.delete(handlers);
      if (cur.handlers.size > 0) return;
      this.topics.delete(topic);
      this.cancelRetry(cur);
      if (cur.phase !== "refused" && !cur.ended) this.send({ type: "unsubscribe", topic });
      if (this.topics.size === 0) this.scheduleIdleClose();
      this.emit();
    };
  }

  /** The connection's status. */
  get status(): RealtimeStatus {
    return this.state;
  }

  /** A topic's status: the connection's, except "connecting" until it is subscribed and "offline" if refused. */
  topicStatus(topic: string): RealtimeStatus {
    const t = this.topics.get(topic);
    if (this.state === "offline" || t?.phase === "refused") return "offline";
    if (this.state === "live" && t?.phase !== "subscribed") return t?.everSubscribed ? "reconnecting" : "connecting";
    return this.state;
  }

  lastEventId(topic: string): number | undefined {
    return this.topics.get(topic)?.lastEventId;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Reconnect now (the browser came back online, or the tab became visible). */
  nudge(): void {
    if (this.stopped || this.topics.size === 0) return;
    if (this.socket || this.checking) return;
    if (this.reconnectTimer !== null) {
      this.deps.clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    this.connect();
  }

  /** Closes the socket for good (tests; the tab's singleton lives as long as the page). */
  dispose(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close(1000, "client closed");
    }
  }

  // ---------------------------------------------------------------- internals

  private emit(): void {
    for (const fn of [...this.listeners]) fn();
  }

  private setState(s: RealtimeStatus): void {
    if (this.state === s) return;
    this.state = s;
    this.emit();
  }

  private send(frame: object): void {
    if (this.socket && this.opened && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private sendSubscribe(topic: string, t: TopicState): void {
    this.cancelRetry(t);
    t.phase = "pending";
    this.send(t.lastEventId === undefined ? { type: "subscribe", topic } : { type: "subscribe", topic, since: t.lastEventId });
  }

  /** Subscribes to `topic` again after a backoff (the server ended or could not check the subscription). */
  private scheduleResubscribe(topic: string, t: TopicState): void {
    this.cancelRetry(t);
    t.phase = "pending";
    const delay = backoffDelay(t.retries++, this.deps.random, this.deps.backoff);
    t.retryTimer = this.deps.setTimeout(() => {
      t.retryTimer = null;
      // gone, or the socket dropped meanwhile (its onopen resubscribes every topic)
      if (this.topics.get(topic) !== t || !this.socket || !this.opened) return;
      if (t.lastEventId === undefined) for (const h of [...t.handlers]) h.onGap?.(); // nothing to resume from
      this.sendSubscribe(topic, t);
    }, delay);
  }

  private cancelRetry(t: TopicState): void {
    if (t.retryTimer === null) return;
    this.deps.clearTimeout(t.retryTimer);
    t.retryTimer = null;
  }

  private ensureSocket(): void {
    if (this.stopped || this.socket || this.reconnectTimer !== null || this.checking) return;
    this.connect();
  }

  private connect(): void {
    if (this.stopped || this.socket) return;
    this.setState(this.everLive || this.attempt > 0 ? "reconnecting" : "connecting");
    let socket: SocketLike;
    try {
      socket = this.deps.createSocket(this.deps.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.opened = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.opened = true;
      this.attempt = 0;
      this.everLive = true;
      for (const [topic, t] of this.topics) if (t.phase !== "refused") this.sendSubscribe(topic, t);
      this.setState("live");
      this.schedulePing();
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      this.onFrame(parseServerFrame(ev.data));
    };
    socket.onerror = () => {
      /* onclose follows and decides */
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      const wasOpen = this.opened;
      this.socket = null;
      this.opened = false;
      this.clearLinkTimers();
      for (const t of this.topics.values()) {
        this.cancelRetry(t);
        t.ended = false;
        if (t.phase === "subscribed") t.phase = "pending";
      }
      if (ev.code === CLOSE_SESSION_ENDED) return this.giveUp();
      if (this.topics.size === 0) {
        this.setState("connecting");
        return;
      }
      this.setState("reconnecting");
      // A socket that never opened may have been refused (401): ask whether the session is still alive.
      if (!wasOpen && this.deps.checkSession) {
        const check = this.deps.checkSession;
        this.checking = true;
        const done = (r: "ok" | "expired" | "unknown") => {
          this.checking = false;
          if (r === "expired") this.giveUp();
          else if (!this.socket) this.scheduleReconnect();
        };
        check().then(done, () => done("unknown"));
        return;
      }
      this.scheduleReconnect();
    };
  }

  private onFrame(frame: ServerFrame | null): void {
    this.armPongTimeout(false);
    if (!frame) return;
    switch (frame.type) {
      case "subscribed": {
        const t = this.topics.get(frame.topic);
        // Unsubscribed while the server was still checking the subscription: the server
        // took the unsubscribe first, so say it again or it keeps a slot (20 per socket).
        if (!t) return this.send({ type: "unsubscribe", topic: frame.topic });
        t.phase = "subscribed";
        t.everSubscribed = true;
        t.ended = false;
        t.retries = 0;
        // First subscription: start counting from the server's position so a reconnect replays from here.
        if (t.lastEventId === undefined && frame.lastEventId !== undefined) t.lastEventId = frame.lastEventId;
        this.emit();
        return;
      }
      case "event": {
        const t = this.topics.get(frame.topic);
        if (!t || t.ended) return;
        if (frame.eventId !== undefined && (t.lastEventId === undefined || frame.eventId > t.lastEventId)) t.lastEventId = frame.eventId;
        const e: RealtimeEvent = { topic: frame.topic, event: frame.event, record: frame.record, id: frame.eventId };
        for (const h of [...t.handlers]) h.onEvent(e);
        return;
      }
      case "error": {
        if (!frame.topic) return;
        const t = this.topics.get(frame.topic);
        if (!t) return;
        if (frame.code === "not_found" || frame.code === "invalid_topic") {
          t.phase = "refused";
          this.emit();
        } else if (frame.code === "replay_unavailable" || frame.code === "replay_truncated") {
          // Live events still flow; what was missed must be reloaded over HTTP.
          t.phase = "subscribed";
          t.lastEventId = undefined;
          for (const h of [...t.handlers]) h.onGap?.();
          this.emit();
        } else if (frame.code === "resync_required") {
          // The server could not vouch for every event on this topic and ended the
          // subscription: subscribe again from the last event received, and be replayed the rest.
          t.ended = true;
          this.scheduleResubscribe(frame.topic, t);
          this.emit();
        } else if (t.phase === "pending" && frame.code === "internal_error") {
          this.scheduleResubscribe(frame.topic, t);
        } else if (t.phase === "pending" && frame.code === "too_many_subscriptions") {
          t.phase = "refused";
          this.emit();
        }
        return;
      }
      default:
        return;
    }
  }

  private giveUp(): void {
    this.stopped = true;
    this.clearTimers();
    this.setState("offline");
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== null) return;
    if (this.topics.size === 0) return;
    const delay = backoffDelay(this.attempt++, this.deps.random, this.deps.backoff);
    this.reconnectTimer = this.deps.setTimeout(() => {
      this.reconnectTimer = null;
      if (this.topics.size > 0) this.connect();
    }, delay);
  }

  private schedulePing(): void {
    const every = this.deps.pingIntervalMs;
    if (!every) return;
    this.pingTimer = this.deps.setTimeout(() => {
      this.pingTimer = null;
      this.send({ type: "ping" });
      this.armPongTimeout(true);
      this.schedulePing();
    }, every);
  }

  /** Any frame from the server proves the link alive; a ping unanswered in time closes it (and reconnects). */
  private armPongTimeout(arm: boolean): void {
    if (this.pongTimer !== null) {
      this.deps.clearTimeout(this.pongTimer);
      this.pongTimer = null;
    }
    const wait = this.deps.pongTimeoutMs;
    if (!arm || !wait) return;
    const socket = this.socket;
    this.pongTimer = this.deps.setTimeout(() => {
      this.pongTimer = null;
      if (!socket || this.socket !== socket) return;
      socket.close(4000, "no pong");
      // Browsers fire onclose later for a dead link; do not wait for it.
      socket.onclose?.({ code: 1006 });
    }, wait);
  }

  private scheduleIdleClose(): void {
    this.cancelIdleClose();
    const wait = this.deps.idleCloseMs ?? 0;
    const close = () => {
      this.idleTimer = null;
      if (this.topics.size > 0) return;
      if (this.reconnectTimer !== null) {
        this.deps.clearTimeout(this.reconnectTimer);
        this.reconnectTimer = null;
      }
      const s = this.socket;
      this.socket = null;
      this.opened = false;
      this.clearLinkTimers();
      this.attempt = 0;
      this.everLive = false;
      if (s) {
        s.onclose = null;
        s.close(1000, "no subscriptions");
      }
      if (!this.stopped) this.setState("connecting");
    };
    if (wait <= 0) close();
    else this.idleTimer = this.deps.setTimeout(close, wait);
  }

  private cancelIdleClose(): void {
    if (this.idleTimer !== null) {
      this.deps.clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
  }

  private clearLinkTimers(): void {
    for (const k of ["pingTimer", "pongTimer"] as const) {
      if (this[k] !== null) {
        this.deps.clearTimeout(this[k]);
        this[k] = null;
      }
    }
  }

  private clearTimers(): void {
    this.clearLinkTimers();
    for (const t of this.topics.values()) this.cancelRetry(t);
    this.cancelIdleClose();
    if (this.reconnectTimer !== null) {
      this.deps.clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
  }
}
