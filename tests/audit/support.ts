import pg from "pg";
import { TEST_PG_URL, type TestDatabase } from "../support/db";

/**
 * A superuser connection to the test's own database, for the tampering steps only: on
 * PGlite the test process already is superuser; on PostgreSQL the `postgres` role.
 */
export async function asSuperuser<T>(t: TestDatabase, fn: (q: (text: string, values?: unknown[]) => Promise<pg.QueryResult>) => Promise<T>): Promise<T> {
  if (t.engine === "pglite") {
    // the session runs as app_runtime (enterRuntimeRole); the login itself is the superuser
    const client = await t.db.pool.connect();
    try {
      await client.query("reset role");
      return await fn((text, values) => client.query(text, values as unknown[]));
    } finally {
      await client.query("set role app_runtime");
      client.release();
    }
  }
  const { rows } = await t.db.pool.query<{ db: string }>("select current_database() as db");
  const url = new URL(TEST_PG_URL!);
  url.username = "postgres";
  url.password = "";
  url.pathname = `/${rows[0].db}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn((text, values) => client.query(text, values as unknown[]));
  } finally {
    await client.end();
  }
}

/** Runs statements with every user trigger off (session_replication_role = replica), as a superuser would. */
export async function tamper(t: TestDatabase, statements: Array<[string, unknown[]?]>): Promise<void> {
  await asSuperuser(t, async (q) => {
    await q("begin");
    try {
      await q("set local session_replication_role = replica");
      for (const [text, values] of statements) await q(text, values);
      await q("commit");
    } catch (e) {
      await q("rollback");
      throw e;
    }
  });
}

/**
 * The schema's owner (the migration login), for what a migration would do: DDL, or the
 * owner's own statements. On PGlite the session runs as app_runtime, so the role is reset
 * for the call; on PostgreSQL the test login is the owner.
 */
export async function asOwner<T>(t: TestDatabase, fn: (q: (text: string, values?: unknown[]) => Promise<pg.QueryResult>) => Promise<T>): Promise<T> {
  const client = await t.db.pool.connect();
  try {
    if (t.engine === "pglite") await client.query("reset role");
    return await fn((text, values) => client.query(text, values as unknown[]));
  } finally {
    if (t.engine === "pglite") await client.query("set role app_runtime");
    client.release();
  }
}
