import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * A throw-away PostgreSQL database for scripts and benchmarks: created on the server the
 * given URL points at (its login needs CREATEDB), dropped (with force) by `drop()`.
 */
export interface ScratchDatabase {
  /** The connection URL of the new database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

export const DEFAULT_SCRATCH_SERVER = "postgres://carebase_app@127.0.0.1:5432/postgres";

export async function createScratchDatabase(serverUrl: string = DEFAULT_SCRATCH_SERVER, prefix = "carebase_scratch"): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
