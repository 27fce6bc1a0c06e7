import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PG_URL } from "../support/db";

/**
 * The real entry point as `npm start` runs it, compiled to plain JavaScript (no tsx;
 * scripts/build-server.mjs) against a production build: embedded and server PostgreSQL, the
 * data-directory lock, and a kill -9.
 */

const ROOT = process.cwd();
const DIST = path.join(ROOT, process.env.NEXT_DIST_DIR || ".next");
const hasBuild = existsSync(path.join(DIST, "BUILD_ID"));
const COMPILED = path.join(DIST, "carebase-server", "server.mjs");
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

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

interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, port: number): Server {
  // One process running the compiled server with plain node (no loader), as `npm start` does:
  // a SIGKILL must hit the process that holds the database.
  const child = spawn(process.execPath, [COMPILED], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn", PORT: String(port), DATABASE_URL: "", CAREBASE_SECRET: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, port, output: () => out, exited };
}

async function waitHealthy(s: Server, timeoutMs = 90_000): Promise<{ status: string; database: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (s.child.exitCode !== null) throw new Error(`server exited early:\n${s.output()}`);
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

const setupBody = { email: "first.admin@example.test", password: "a long and unusual passphrase 42", full_name: "First Admin" };

async function postSetup(port: number): Promise<number> {
  const res = await fetch(`http://localhost:${port}/api/v1/setup`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: `http://localhost:${port}` },
    body: JSON.stringify(setupBody),
  });
  return res.status;
}

describe.skipIf(!hasBuild)("npm start (the compiled server.ts) on a production build", () => {
  beforeAll(() => {
    // what `npm run build` does after `next build`; fresh, so the bundle is this tree's
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-server.mjs")], { cwd: ROOT, stdio: "pipe" });
  }, 60_000);

  it("serves on PGlite, refuses a second process on the same DATA_DIR, and survives kill -9", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "carebase-start-"));
    dirs.push(dataDir);
    const first = start({ DATA_DIR: dataDir }, await freePort());
    expect(await waitHealthy(first)).toEqual({ status: "ok", database: "pglite" });

    // the generated secret is private to the owner
    expect(statSync(path.join(dataDir, "secret")).mode & 0o777).toBe(0o600);

    // unknown API paths answer in the error shape
    const unknown = await fetch(`http://localhost:${first.port}/api/v1/nope`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe("not_found");

    // a second process on the same embedded database refuses to start
    const second = start({ DATA_DIR: dataDir }, await freePort());
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain("Another Carebase process");

    // data written before a kill -9 is there after restart (the stale lock is taken over)
    expect(await postSetup(first.port)).toBe(201);
    first.child.kill("SIGKILL");
    await first.exited;
    const again = start({ DATA_DIR: dataDir }, await freePort());
    expect(await waitHealthy(again)).toEqual({ status: "ok", database: "pglite" });
    expect(await postSetup(again.port)).toBe(409);

    // a clean stop releases the lock
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
    expect(existsSync(path.join(dataDir, "db.lock"))).toBe(false);
  }, 240_000);

  it.skipIf(!TEST_PG_URL)("serves on PostgreSQL with DATABASE_URL, and insists on CAREBASE_SECRET", async () => {
    const name = `carebase_start_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(TEST_PG_URL!);
    url.pathname = `/${name}`;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "carebase-start-pg-"));
    dirs.push(dataDir);
    try {
      const noSecret = start({ DATA_DIR: dataDir, DATABASE_URL: url.toString() }, await freePort());
      expect(await noSecret.exited).toBe(1);
      expect(noSecret.output()).toContain("CAREBASE_SECRET is required");

      const secret = randomBytes(36).toString("base64");
      const a = start({ DATA_DIR: dataDir, DATABASE_URL: url.toString(), CAREBASE_SECRET: secret }, await freePort());
      const b = start({ DATA_DIR: dataDir, DATABASE_URL: url.toString(), CAREBASE_SECRET: secret }, await freePort());
      // two instances migrate one database at once (advisory lock) and both serve
      expect(await waitHealthy(a)).toEqual({ status: "ok", database: "postgresql" });
      expect(await waitHealthy(b)).toEqual({ status: "ok", database: "postgresql" });
      expect(await postSetup(a.port)).toBe(201);
      expect(await postSetup(b.port)).toBe(409);
      a.child.kill("SIGTERM");
      b.child.kill("SIGTERM");
      expect(await a.exited).toBe(0);
      expect(await b.exited).toBe(0);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 240_000);
});

if (!hasBuild) console.warn("SKIPPED: server start tests need a production build (.next/BUILD_ID): run `npm run build` first.");
