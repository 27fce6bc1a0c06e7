import type { Database } from "@/core/db/engine";
import { openMigratedDatabase, type Engine } from "../../scripts/lib/migrated-database";
import { useDatabase, closeDatabase } from "@/core/db";

export type { Engine };

/**
 * PGlite always; PostgreSQL when TEST_DATABASE_URL points at a server. That URL's login
 * must be a non-superuser with CREATEDB and CREATEROLE (see docs/postgresql.md): each test
 * file gets a database of its own, dropped afterwards.
 */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL || undefined;
export const engines: Engine[] = TEST_PG_URL ? ["pglite", "postgresql"] : ["pglite"];

export interface TestDatabase {
  engine: Engine;
  db: Database;
  /** Closes the database and drops it (PostgreSQL). */
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === "postgresql" && !TEST_PG_URL) throw new Error("TEST_DATABASE_URL is not set");
  const { db, drop } = await openMigratedDatabase(engine, { serverUrl: TEST_PG_URL, poolMax: 4, prefix: "carebase_t" });
  return { engine, db, drop };
}

/** Creates a database for the engine, installs it as the process database, and returns it. */
export async function installTestDatabase(engine: Engine): Promise<TestDatabase> {
  const t = await createTestDatabase(engine);
  useDatabase(t.db);
  return {
    ...t,
    drop: async () => {
      await closeDatabase();
      await t.drop();
    },
  };
}
