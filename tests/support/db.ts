import { randomBytes } from "node:crypto";
import pg from "pg";
import { enterRuntimeRole, openDatabase, type Database } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { useDatabase, closeDatabase } from "@/core/db";

export type Engine = "pglite" | "postgresql";

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
  if (engine === "pglite") {
    const db = await openDatabase({ pgliteDir: "memory://" });
    await migrate(db.pool);
    await enterRuntimeRole(db); // as the server runs: the session itself gets nothing
    return { engine, db, drop: () => db.close() };
  }
  if (!TEST_PG_URL) throw new Error("TEST_DATABASE_URL is not set");
  const name = `carebase_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolMax: 4 });
  await migrate(db.pool);
  await enterRuntimeRole(db);
  return {
    engine,
    db,
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
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
