import pg from "pg";
import type { Database } from "../db/engine";
import { log } from "../log";

export const CHANGES_CHANNEL = "carebase_changes";

export interface ChangeListener {
  stop(): Promise<void>;
}

/**
 * LISTENs on carebase_changes. PGlite: its own listen(). PostgreSQL: one dedicated client
 * (never a pooled one: LISTEN belongs to a session), reconnected with backoff if the
 * connection drops; `onResync` runs after each reconnect so the hub can catch up on
 * what was committed while it was deaf.
 */
export async function listenForChanges(
  db: Database,
  onNotice: (payload: string) => void,
  onResync: () => void,
): Promise<ChangeListener> {
  if (db.pglite) {
    const unlisten = await db.pglite.listen(CHANGES_CHANNEL, onNotice);
    return { stop: () => unlisten() };
  }

  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let backoff = 250;

  const dropped = (c: pg.Client) => {
    if (client !== c) return;
    client = undefined;
    c.end().catch(() => {});
    reconnectSoon();
  };

  const connect = async (isReconnect: boolean): Promise<void> => {
    const c = new pg.Client({ ...db.pool.options, application_name: "carebase-realtime" } as pg.ClientConfig);
    c.on("notification", (msg) => {
      if (msg.channel === CHANGES_CHANNEL && msg.payload) onNotice(msg.payload);
    });
    c.on("error", (err) => {
      log.warn({ err: err.message }, "realtime listener connection error");
      dropped(c);
    });
    c.on("end", () => dropped(c));
    try {
      await c.connect();
      await c.query(`listen ${CHANGES_CHANNEL}`);
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
    if (isReconnect) onResync();
  };

  const reconnectSoon = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect(true).catch((err: Error) => {
        log.warn({ err: err.message }, "realtime listener reconnect failed");
        backoff = Math.min(backoff * 2, 10_000);
        reconnectSoon();
      });
    }, backoff);
  };

  await connect(false);
  return {
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      if (c) await c.end().catch(() => {});
    },
  };
}
