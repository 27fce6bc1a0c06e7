import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import pg from "pg";
import { TEST_PG_URL } from "../support/db";

export const ROOT = process.cwd();

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the scripts (node with tsx's loader, as npm run does through tsx) with
 * exactly the environment given on top of a clean one: no DATABASE_URL, no
 * CAREBASE_SECRET unless passed.
 */
export function runScript(script: string, args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "warn" };
  delete base.DATABASE_URL;
  delete base.MIGRATION_DATABASE_URL;
  delete base.CAREBASE_SECRET;
  delete base.DATA_DIR;
  delete base.STORAGE_DRIVER;
  const full = { ...base, ...env };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", script), ...args], { cwd: ROOT, env: full, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

/** A new, empty PostgreSQL database (not migrated); returns its URL and a drop function. */
export async function createEmptyPgDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** The URL of the database an open pool points at (same login as TEST_DATABASE_URL). */
export async function urlOf(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ db: string }>("select current_database() as db");
  const url = new URL(TEST_PG_URL!);
  url.pathname = `/${rows[0].db}`;
  return url.toString();
}

/** Forgets this process's cached root secret (tests that switch secrets). */
export function forgetRootSecret(): void {
  (globalThis as unknown as Record<symbol, unknown>)[Symbol.for("carebase.secret")] = undefined;
}

export const hasBuild = existsSync(path.join(ROOT, process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface RunningServer {
  port: number;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `npm start` (server.ts on the production build) with this environment on a clean one. */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn", PORT: String(port) };
  for (const k of ["DATABASE_URL", "MIGRATION_DATABASE_URL", "CAREBASE_SECRET", "DATA_DIR", "STORAGE_DRIVER"]) delete base[k];
  // node with tsx's loader, not the tsx CLI (which would run the server in a child of its own)
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server.ts"], { cwd: ROOT, env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    port,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Waits for GET /api/health to answer 200; rejects with the server's output if it exits first. */
export async function waitHealthy(s: RunningServer, timeoutMs = 120_000): Promise<{ status: string; database: string }> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void s.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited early:\n${s.output()}`);
    try {
      const res = await fetch(`http://localhost:${s.port}/api/health`);
      if (res.status === 200) return (await res.json()) as { status: string; database: string };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server not healthy in time:\n${s.output()}`);
}
