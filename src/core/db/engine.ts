import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import type { PGlite } from "@electric-sql/pglite";
import { log } from "../log";
import type { DB } from "./schema";
import { markDatabaseConnectError } from "./unavailable";
import { pipeliningPool } from "./pipelined-transactions";
import { env } from "../config/env";

export type EngineKind = "pglite" | "postgresql";

/** An open database: one pg-compatible pool over either engine, and Kysely on top. */
export interface Database {
  kind: EngineKind;
  pool: pg.Pool;
  kysely: Kysely<DB>;
  /** The embedded engine, when that is what runs (LISTEN/NOTIFY goes through it). */
  pglite?: PGlite;
  close(): Promise<void>;
}

// Dates stay strings ("1980-04-02"): a JS Date would shift them by the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export interface OpenOptions {
  /** postgres:// URL; without it, PGlite. */
  url?: string;
  /** PGlite data directory, or "memory://" for a throw-away database. */
  pgliteDir?: string;
  /** Directory for the PGlite lock file (DATA_DIR). */
  lockDir?: string;
  poolMax?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.poolMax ?? env().DB_POOL_MAX);
  return openPglite(opts.pgliteDir ?? "memory://", opts.lockDir);
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max, application_name: "carebase" });
  listenForClientErrors(pool, "postgresql");
  // BEGIN and the claims statement travel with a transaction's first statement (pipelined-transactions.ts)
  const marked = markingConnectErrors(pool);
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: env().DB_PIPELINING ? pipeliningPool(marked, { prepared: env().DB_PREPARED }) : marked }) });
  await pool.query("select 1");
  return {
    kind: "postgresql",
    pool,
    kysely,
    close: async () => {
      await kysely.destroy();
    },
  };
}

async function openPglite(dir: string, lockDir: string | undefined): Promise<Database> {
  const release = dir.startsWith("memory://") ? () => {} : takeDataDirLock(lockDir ?? path.dirname(dir));
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    const { createPgConfig } = await import("@electric-sql/pglite/node-postgres");
    const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
    const { btree_gist } = await import("@electric-sql/pglite/contrib/btree_gist");
    if (!dir.startsWith("memory://")) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pglite = await PGlite.create(dir, { extensions: { pg_trgm, btree_gist } });
    const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
    listenForClientErrors(pool, "pglite");
    const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: markingConnectErrors(pool) }) });
    let closed = false;
    return {
      kind: "pglite",
      pool,
      kysely,
      pglite,
      close: async () => {
        if (closed) return;
        closed = true;
        await kysely.destroy();
        await pglite.close();
        release();
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * A connection that dies (a server restart sends 57P01 admin_shutdown to every backend) makes
 * its pg client emit "error". The pool listens on idle clients only; a client that is checked
 * out, between two statements of a transaction, has no listener, and the error would become an
 * uncaughtException. Every client gets a listener of its own as it is created: the error is
 * logged, the client is no longer queryable, its next statement fails (mapped to 503 by
 * src/core/http/respond.ts) and the pool discards it on release.
 */
function listenForClientErrors(pool: pg.Pool, engine: EngineKind): void {
  pool.on("connect", (client) => {
    client.on("error", (err: Error & { code?: string }) => {
      log.warn({ engine, err: { code: err.code, message: err.message } }, "database connection lost");
    });
  });
  // The pool re-emits an idle client's error: already logged by the client's own listener.
  pool.on("error", () => undefined);
}

/** The pool as Kysely sees it: a failure to get a connection is marked as "database unavailable". */
function markingConnectErrors(pool: pg.Pool): PostgresPool {
  return {
    connect: () => pool.connect().catch((e: unknown) => Promise.reject(markDatabaseConnectError(e))),
    end: () => pool.end(),
  };
}

export class PrivilegedLoginError extends Error {
  constructor(login: string, what: string) {
    super(
      `The database login "${login}" is ${what}, so row-level security would not restrict it. ` +
        `Connect as an ordinary login (docs/postgresql.md), or set ALLOW_PRIVILEGED_DATABASE_LOGIN=1 to start anyway (not for production).`,
    );
    this.name = "PrivilegedLoginError";
  }
}

/**
 * After migrating: make sure the runtime's own identity gets nothing by itself, so that a
 * statement outside withUser / asService fails closed (docs/security.md, "Identities").
 * - PGlite's only login is a superuser, which RLS never restricts: the session switches to
 *   app_runtime, a role with no privileges that may still SET ROLE (the session user may).
 * - PostgreSQL: a superuser or BYPASSRLS login is refused unless `allowPrivileged`, which
 *   only warns. The owner of the tables (single-login mode) sees no rows: RLS is forced.
 */
export async function enterRuntimeRole(db: Database, opts: { allowPrivileged?: boolean; warn?: (m: string) => void } = {}): Promise<void> {
  if (db.kind === "pglite") {
    await db.pool.query("set role app_runtime");
    return;
  }
  const { rows } = await db.pool.query<{ login: string; rolsuper: boolean; rolbypassrls: boolean }>(
    "select rolname as login, rolsuper, rolbypassrls from pg_roles where rolname = current_user",
  );
  const r = rows[0];
  const what = r?.rolsuper ? "a superuser" : r?.rolbypassrls ? "allowed to bypass row-level security (BYPASSRLS)" : undefined;
  if (!what) return;
  if (!opts.allowPrivileged) throw new PrivilegedLoginError(r.login, what);
  (opts.warn ?? ((m: string) => process.emitWarning(m)))(
    `SECURITY WARNING: the database login "${r.login}" is ${what}; row-level security does not restrict it. ` +
      `ALLOW_PRIVILEGED_DATABASE_LOGIN=1 let the server start anyway. Do not run like this in production.`,
  );
}

/**
 * With a separate migration login (MIGRATION_DATABASE_URL): the runtime login may switch
 * to the application roles through app_runtime (which does not pass their rights on), and
 * owns nothing.
 */
export async function grantRuntimeLogin(migrationPool: pg.Pool, runtimeLogin: string): Promise<void> {
  const { rows } = await migrationPool.query<{ owner: string }>("select current_user as owner");
  if (rows[0].owner === runtimeLogin) return;
  await migrationPool.query(`grant app_runtime to "${runtimeLogin.replace(/"/g, '""')}"`);
}

/**
 * PGlite takes no lock on its data directory, and two processes on one directory corrupt
 * it. We take one ourselves: DATA_DIR/db.lock holds the owner's pid; a lock whose process
 * is gone (kill -9) is stale and taken over.
 */
export function takeDataDirLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, "db.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, `${process.pid}\n${os.hostname()}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const [pidText, host] = readFileSync(file, "utf8").split("\n");
      const pid = Number(pidText);
      if (host === os.hostname() && Number.isInteger(pid) && pid > 0 && !processAlive(pid)) {
        unlinkSync(file); // stale: its owner died without cleaning up
        continue;
      }
      throw new DataDirLockedError(dir, pid, host);
    }
  }
  throw new DataDirLockedError(dir, NaN, "");
}

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number, host: string) {
    super(
      `Another Carebase process (pid ${pid}${host ? ` on ${host}` : ""}) is using the embedded database in ${dir}. ` +
        `Stop it first, or point DATA_DIR elsewhere. Running two processes on one embedded database would corrupt it; ` +
        `to run several instances, use a PostgreSQL server (DATABASE_URL).`,
    );
    this.name = "DataDirLockedError";
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
