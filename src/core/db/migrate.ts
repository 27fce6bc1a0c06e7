import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type pg from "pg";

/** Migrations live at the project root; every entry point (server, scripts, tests) runs from there. */
export const MIGRATIONS_DIR = path.join(/*turbopackIgnore: true*/ process.cwd(), "db", "migrations");

export interface MigrationResult {
  applied: string[];
  skipped: number;
}

/**
 * Applies db/migrations/*.sql in name order, each once, each in its own transaction.
 * Serialised by a session advisory lock so several instances can start at once.
 * A migration whose file changed after it was applied stops start-up: migrations are
 * append-only; write a new one.
 */
export async function migrate(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock(hashtext('carebase.migrations'))");
    await client.query(`
      create schema if not exists app;
      create table if not exists app.schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      );`);
    const { rows } = await client.query<{ name: string; checksum: string }>(
      "select name, checksum from app.schema_migrations",
    );
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    const applied: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), "utf8");
      const checksum = createHash("sha256").update(text).digest("hex");
      const previous = done.get(file);
      if (previous !== undefined) {
        if (previous !== checksum) {
          throw new Error(`Migration ${file} was changed after it was applied. Migrations are append-only: add a new file instead.`);
        }
        continue;
      }
      try {
        await client.query("begin");
        await client.query(text);
        await client.query("insert into app.schema_migrations (name, checksum) values ($1, $2)", [file, checksum]);
        await client.query("commit");
      } catch (e) {
        await client.query("rollback");
        throw new Error(`Migration ${file} failed: ${(e as Error).message}`, { cause: e });
      }
      applied.push(file);
    }
    return { applied, skipped: files.length - applied.length };
  } finally {
    try {
      await client.query("select pg_advisory_unlock(hashtext('carebase.migrations'))");
    } finally {
      client.release();
    }
  }
}
