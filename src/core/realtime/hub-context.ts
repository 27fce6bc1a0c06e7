import type { Connections } from "./connections";
import { env } from "../config/env";

/** The tuning of one hub; every field has a default (`HUB_DEFAULTS`). */
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

export const HUB_DEFAULTS: Required<HubOptions> = {
  maxSubscriptions: 20,
  maxPayload: 16 * 1024,
  maxFramesPer10s: 100,
  heartbeatMs: 30_000,
  sessionCheckMs: 30_000,
  pruneEveryMs: 3_600_000,
  keepEvents: "24 hours",
  maxSocketsPerSession: env().REALTIME_MAX_SOCKETS_PER_SESSION,
  maxSocketsPerUser: env().REALTIME_MAX_SOCKETS_PER_USER,
  deliveryRetryMs: 30_000,
  maxCatchUpEvents: 20_000,
};

/** Counters since start (tests, the bench, metrics). */
export interface HubStats {
  changes: number;
  authQueries: number;
  deliveries: number;
  /** Delivery attempts that failed (each is tried again until `deliveryRetryMs`). */
  deliveryFailures: number;
  replayed: number;
  replayAuthQueries: number;
  sessionsClosed: number;
  /** Subscriptions ended with `resync_required`: the feed could not vouch for what they missed. */
  resyncsRequired: number;
}

export function newHubStats(): HubStats {
  return {
    changes: 0,
    authQueries: 0,
    deliveries: 0,
    deliveryFailures: 0,
    replayed: 0,
    replayAuthQueries: 0,
    sessionsClosed: 0,
    resyncsRequired: 0,
  };
}

/** What the hub's parts share: its options, counters, open sockets and where the feed stands. */
export interface HubContext {
  readonly opts: Required<HubOptions>;
  readonly stats: HubStats;
  readonly conns: Connections;
  /** The newest change event id this instance has seen (a new subscription's `last_event_id`). */
  frontier: number;
  stopped: boolean;
}
