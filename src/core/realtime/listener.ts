import pg from "pg";
import type { Database } from "../db/engine";
import { log } from "../log";

export const CHANGES_CHANNEL = "carebase_changes";

export interface ListenerEvents {
  /** One NOTIFY payload. */
  notice(payload: string): void;
  /** The subscription is gone (connection lost): notifications may be missed until `resumed`. */
  lost(reason: string): void;
  /** LISTENing again after `lost`: whatever was committed meanwhile must be read from the change log. */
  resumed(): void;
  /** Other channels to LISTEN on the same connection (telehealth call signals): channel → handler. */
  channels?: Record<string, (payload: string) => void>;
}

export interface ChangeListener {
  /** Subscribed now: committed changes reach this instance (readiness). */
  readonly connected: boolean;
  stop(): Promise<void>;
  /**
   * Drops the subscription and takes a new one after `deafMs`, exactly as after a lost
   * connection (`lost`, then `resumed`). On PostgreSQL it closes the LISTEN connection; the
   * embedded engine's in-process listener never drops by itself, so this is how the tests
   * make it miss notifications.
   */
  restart(deafMs?: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * LISTENs on carebase_changes. PGlite: its own listen(). PostgreSQL: one dedicated client
 * (never a pooled one: LISTEN belongs to a session), reconnected with backoff if the
 * connection drops. Every loss and every reconnect is logged and reported (`lost`,
 * `resumed`), so the hub can hold deliveries and catch up from app.change_events.
 */
export async function listenForChanges(db: Database, events: ListenerEvents): Promise<ChangeListener> {
  if (db.pglite) {
    const pglite = db.pglite;
    const listenAll = async () => {
      const offs = [await pglite.listen(CHANGES_CHANNEL, events.notice)];
      for (const [ch, fn] of Object.entries(events.channels ?? {})) offs.push(await pglite.listen(ch, fn));
      return async () => {
        for (const off of offs) await off();
      };
    };
    let unlisten = await listenAll();
    let stopped = false;
    let deaf = false;
    return {
      get connected() {
        return !stopped && !deaf;
      },
      stop: async () => {
        stopped = true;
        await unlisten();
      },
      restart: async (deafMs = 250) => {
        if (stopped) return;
        log.warn({ reason: "restart" }, "realtime listener lost its subscription");
        deaf = true;
        events.lost("restart");
        await unlisten();
        const lostAt = Date.now();
        await sleep(deafMs);
        if (stopped) return;
        unlisten = await listenAll();
        deaf = false;
        log.info({ attempts: 1, deafMs: Date.now() - lostAt }, "realtime listener reconnected");
        events.resumed();
      },
    };
  }

  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let backoff = 250;
  let attempts = 0;
  let lostAt = 0;
  /** restart(): no reconnect before this time. */
  let holdUntil = 0;

  const dropped = (c: pg.Client, reason: string) => {
    if (client !== c) return;
    client = undefined;
    c.end().catch(() => {});
    if (stopped) return;
    lostAt = Date.now();
    attempts = 0;
    log.warn({ reason }, "realtime listener lost its connection");
    events.lost(reason);
    reconnectSoon();
  };

  const connect = async (isReconnect: boolean): Promise<void> => {
    const c = new pg.Client({ ...db.pool.options, application_name: "carebase-realtime", keepAlive: true } as pg.ClientConfig);
    c.on("notification", (msg) => {
      if (msg.channel === CHANGES_CHANNEL && msg.payload) events.notice(msg.payload);
      else if (msg.payload) events.channels?.[msg.channel]?.(msg.payload);
    });
    c.on("error", (err) => dropped(c, err.message));
    c.on("end", () => dropped(c, "connection ended"));
    try {
      await c.connect();
      await c.query(`listen ${CHANGES_CHANNEL}`);
      for (const ch of Object.keys(events.channels ?? {})) await c.query(`listen ${ch}`);
    } catch (e) {
      c.end().catch(() => {});
      throw e;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    backoff = 250;
    if (isReconnect) {
      log.info({ attempts, deafMs: Date.now() - lostAt }, "realtime listener reconnected");
      events.resumed();
    }
  };

  const reconnectSoon = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      attempts++;
      connect(true).catch((err: Error) => {
        log.warn({ err: err.message, attempt: attempts }, "realtime listener reconnect failed");
        // capped low: each try is one connection attempt, and the feed is deaf until one succeeds
        backoff = Math.min(backoff * 2, 2_000);
        reconnectSoon();
      });
    }, Math.max(backoff, holdUntil - Date.now()));
  };

  await connect(false);
  return {
    get connected() {
      return client !== undefined;
    },
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      if (c) await c.end().catch(() => {});
    },
    restart: async (deafMs = 250) => {
      const c = client;
      if (!c || stopped) return;
      holdUntil = Date.now() + deafMs;
      dropped(c, "restart");
    },
  };
}
