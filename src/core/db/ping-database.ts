import { currentDatabase } from "./index";

/**
 * The database as health checks and metrics see it: one `select 1` on the pool (no table,
 * no identity: it proves a connection can be had and the server answers), and the pool's
 * counters. Neither opens the database: before start-up or after shutdown it is "down".
 */
export async function pingDatabase(): Promise<void> {
  const db = currentDatabase();
  if (!db) throw new Error("The database is not open.");
  await db.pool.query("select 1");
}

export interface PoolUsage {
  /** Connections open (busy and idle). */
  total: number;
  /** Connections checked out by a request or job. */
  inUse: number;
  /** Requests waiting for a connection. */
  waiting: number;
  /** The pool's size limit. */
  max: number;
}

export function poolUsage(): PoolUsage | undefined {
  const db = currentDatabase();
  if (!db) return undefined;
  const { totalCount, idleCount, waitingCount } = db.pool;
  return { total: totalCount, inUse: totalCount - idleCount, waiting: waitingCount, max: db.pool.options.max ?? 10 };
}
