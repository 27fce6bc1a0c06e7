import { loadConfig } from "../config";
import { enterRuntimeRole, grantRuntimeLogin, openDatabase, type Database } from "./engine";
import { migrate } from "./migrate";
import { env } from "../config/env";

export type { Database } from "./engine";

/**
 * Exactly one database per process. server.ts opens it before Next prepares; Next's
 * bundles and server.ts see different module instances, so the handle lives on
 * globalThis under a registered symbol.
 */
const KEY = Symbol.for("carebase.db");
type Slot = { db?: Database; opening?: Promise<Database> };
const slot = (): Slot => {
  const g = globalThis as unknown as Record<symbol, Slot | undefined>;
  return (g[KEY] ??= {});
};

/** Opens (once) and migrates the configured database. */
export function initDatabase(): Promise<Database> {
  const s = slot();
  if (s.db) return Promise.resolve(s.db);
  if (env().NEXT_PHASE === "phase-production-build") {
    return Promise.reject(new Error("The database is never opened during `next build`."));
  }
  s.opening ??= (async () => {
    const config = loadConfig();
    const db = await openDatabase({
      url: config.databaseUrl,
      pgliteDir: `${config.dataDir}/db`,
      lockDir: config.dataDir,
    });
    try {
      if (config.migrationDatabaseUrl && config.databaseUrl) {
        // the schema's owner migrates; the runtime login only switches roles
        const owner = await openDatabase({ url: config.migrationDatabaseUrl, poolMax: 1 });
        try {
          await migrate(owner.pool);
          const { rows } = await db.pool.query<{ login: string }>("select current_user as login");
          await grantRuntimeLogin(owner.pool, rows[0].login);
        } finally {
          await owner.close();
        }
      } else {
        await migrate(db.pool);
      }
      await enterRuntimeRole(db, { allowPrivileged: config.allowPrivilegedDatabaseLogin });
    } catch (e) {
      await db.close();
      throw e;
    }
    s.db = db;
    return db;
  })().finally(() => {
    s.opening = undefined;
  });
  return s.opening;
}

/** The process's database, opening it on first use. */
export async function database(): Promise<Database> {
  return slot().db ?? initDatabase();
}

/** The process's database if it is open, without opening it (health checks, metrics, shutdown). */
export function currentDatabase(): Database | undefined {
  return slot().db;
}

/** Installs an already-open database (tests, scripts). */
export function useDatabase(db: Database): void {
  slot().db = db;
}

export async function closeDatabase(): Promise<void> {
  const s = slot();
  const db = s.db;
  s.db = undefined;
  if (db) await db.close();
}
