import { enterRuntimeRole, openDatabase, type Database } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { createScratchDatabase, DEFAULT_SCRATCH_SERVER } from "./scratch-database";

export type Engine = "pglite" | "postgresql";

export interface MigratedDatabase {
  engine: Engine;
  db: Database;
  /** The scratch database's URL (PostgreSQL only). */
  url?: string;
  /** Closes the database and drops it (PostgreSQL). */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for tests and benchmarks, entered as the server runs it (the
 * session holds app_runtime, nothing more): PGlite in memory, or a throw-away database on
 * the PostgreSQL server `serverUrl` points at (its login needs CREATEDB), dropped by drop().
 */
export async function openMigratedDatabase(
  engine: Engine,
  options: { serverUrl?: string; poolMax?: number; prefix?: string } = {},
): Promise<MigratedDatabase> {
  if (engine === "pglite") {
    const db = await openDatabase({ pgliteDir: "memory://" });
    await migrate(db.pool);
    await enterRuntimeRole(db);
    return { engine, db, drop: () => db.close() };
  }
  const scratch = await createScratchDatabase(options.serverUrl ?? DEFAULT_SCRATCH_SERVER, options.prefix ?? "carebase_t");
  try {
    const db = await openDatabase({ url: scratch.url, poolMax: options.poolMax ?? 4 });
    await migrate(db.pool);
    await enterRuntimeRole(db);
    return {
      engine,
      db,
      url: scratch.url,
      drop: async () => {
        await db.close();
        await scratch.drop();
      },
    };
  } catch (e) {
    await scratch.drop().catch(() => undefined);
    throw e;
  }
}
