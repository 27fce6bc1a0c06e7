import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import WebSocket from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_PG_URL } from "../support/db";
import { freePort, ROOT, send, signInLoad, startServer, waitReady, type ServerProcess } from "./drain-support";

/**
 * The real entry point (server.ts on a production build) stopped with SIGTERM under a write
 * load: readiness turns to 503 first, the listening socket closes, requests in flight finish,
 * and no write is committed without its client hearing so (docs/operations.md). Also: health,
 * readiness and metrics as an operator sees them, and every output line JSON.
 */

const hasBuild = existsSync(path.join(ROOT, process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"));
const servers: ServerProcess[] = [];
const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null) s.child.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const c of cleanups) await c();
});

const METRICS_TOKEN = randomBytes(24).toString("base64url");
const admin = { email: "drain.admin@example.test", password: "a long and unusual passphrase 42", full_name: "Drain Admin" };
const WORKERS = 6;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function superuserUrl(url: string): string {
  const u = new URL(url);
  u.username = "postgres";
  u.password = "";
  return u.toString();
}

/** Session rows committed for the admin, read as a superuser after the server is gone. */
async function committedSessions(engine: "pglite" | "postgresql", where: string): Promise<number> {
  const query = "select count(*)::int as n from auth.sessions s join auth.users u on u.id = s.user_id where u.email = $1";
  if (engine === "pglite") {
    const { PGlite } = await import("@electric-sql/pglite");
    const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
    const { btree_gist } = await import("@electric-sql/pglite/contrib/btree_gist");
    const db = await PGlite.create(path.join(where, "db"), { extensions: { pg_trgm, btree_gist } });
    try {
      return (await db.query<{ n: number }>(query, [admin.email])).rows[0].n;
    } finally {
      await db.close();
    }
  }
  const c = new pg.Client({ connectionString: superuserUrl(where) });
  await c.connect();
  try {
    return (await c.query<{ n: number }>(query, [admin.email])).rows[0].n;
  } finally {
    await c.end();
  }
}

/** `database`: the PostgreSQL URL; the embedded engine lives in the scenario's DATA_DIR. */
async function scenario(engine: "pglite" | "postgresql", env: Record<string, string> = {}, database?: string) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `carebase-drain-${engine}-`));
  dirs.push(dataDir);
  const s = startServer(
    {
      DATA_DIR: dataDir,
      METRICS_TOKEN,
      SHUTDOWN_DELAY_SECONDS: "3",
      SHUTDOWN_GRACE_SECONDS: "20",
      RATE_LIMIT_SIGN_IN_IP: "1000000/60",
      RATE_LIMIT_SIGN_IN_ACCOUNT: "1000000/60",
      ...env,
    },
    await freePort(),
  );
  servers.push(s);
  await waitReady(s);

  // --- health, as before and as new
  const health = await send(s.port, "GET", "/api/health");
  expect(JSON.parse(health.body!)).toEqual({ status: "ok", database: engine });
  expect((await send(s.port, "GET", "/api/health/live")).status).toBe(200);
  const ready = await send(s.port, "GET", "/api/health/ready");
  expect(ready.status).toBe(200);
  const readyBody = JSON.parse(ready.body!) as { status: string; checks: Record<string, { ok: boolean }> };
  expect(readyBody.status).toBe("ready");
  expect(Object.keys(readyBody.checks).sort()).toEqual(["database", "draining", "realtime", "storage"]);

  const setup = await send(s.port, "POST", "/api/v1/setup", admin, { origin: `http://localhost:${s.port}` });
  expect(setup.status).toBe(201);

  // --- metrics: not public; the series, with patterns for labels
  expect((await send(s.port, "GET", "/api/metrics")).status).toBe(401);
  expect((await send(s.port, "GET", "/api/metrics", undefined, { authorization: "Bearer not-the-token" })).status).toBe(401);
  await send(s.port, "GET", `/api/v1/patients/${"3f2b8c1e-9d4a-4e6b-8f00-1a2b3c4d5e6f"}?email=${encodeURIComponent(admin.email)}`);
  await send(s.port, "GET", `/patients/${"3f2b8c1e-9d4a-4e6b-8f00-1a2b3c4d5e6f"}`);
  const scraped = await send(s.port, "GET", "/api/metrics", undefined, { authorization: `Bearer ${METRICS_TOKEN}` });
  expect(scraped.status).toBe(200);
  const text = scraped.body!;
  for (const series of [
    'carebase_http_requests_total{method="POST",route="/api/v1/setup",status="201"} 1',
    'carebase_http_requests_total{method="GET",route="/api/v1/patients/{id}",status="401"} 1',
    'route="/patients/{id}"',
    "carebase_http_request_duration_seconds_bucket{",
    "carebase_db_pool_in_use ",
    "carebase_db_pool_waiting ",
    "carebase_realtime_sockets 0",
    "carebase_realtime_listener_up 1",
    "carebase_realtime_delivery_failures_total 0",
    "carebase_audit_stage_backlog ",
    "carebase_audit_checkpoint_age_seconds ",
    "carebase_data_dir_free_bytes ",
    "process_resident_memory_bytes ",
  ]) {
    expect(text).toContain(series);
  }
  const labels = text.split("\n").filter((l) => !l.startsWith("#") && l.includes("{")).join("\n");
  expect(labels).not.toMatch(UUID);
  expect(labels).not.toContain("@");

  // a realtime socket, open across the restart: closed with 1001 (going away) after HTTP drained
  const token = JSON.parse((await send(s.port, "POST", "/api/v1/auth/token", { email: admin.email, password: admin.password })).body!).access_token as string;
  const socket = new WebSocket(`ws://localhost:${s.port}/realtime/v1?access_token=${token}`);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const socketClosed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));

  // --- SIGTERM under a write load
  let loadDone!: () => void;
  const untilStopped = new Promise<void>((r) => (loadDone = r));
  const load = signInLoad(s.port, { email: admin.email, password: admin.password }, WORKERS, untilStopped);
  await new Promise((r) => setTimeout(r, 1_500));
  const termAt = Date.now();
  s.child.kill("SIGTERM");
  // during SHUTDOWN_DELAY_SECONDS, readiness says 503 (draining) while liveness stays 200
  await new Promise((r) => setTimeout(r, 200));
  const [draining, live] = await Promise.all([send(s.port, "GET", "/api/health/ready"), send(s.port, "GET", "/api/health/live")]);
  expect(draining.status).toBe(503);
  expect(JSON.parse(draining.body!).checks.draining).toEqual({ ok: false, reason: "shutting_down" });
  expect(draining.headers?.connection).toBe("close");
  expect(live.status).toBe(200);

  const code = await s.exited;
  const stoppedMs = Date.now() - termAt;
  expect(await socketClosed).toBe(1001);
  loadDone();
  const result = await load;
  expect(code).toBe(0);
  expect(stoppedMs).toBeLessThan(20_000);

  // Zero committed-then-failed: every committed sign-in was answered 200 (setup starts no
  // session). No request got a 5xx. What may fail is a connection reset at the instant the
  // listening socket closes: connections the kernel had queued but Node had not yet accepted
  // (the load does not heed readiness, as a load balancer would); those never ran, as the
  // count of committed rows shows, and there is at most one per client.
  const committed = await committedSessions(engine, database ?? dataDir);
  expect(committed).toBe(result.ok + 1); // +1: the realtime socket's sign-in
  expect(result.ok).toBeGreaterThan(0);
  expect(result.refused).toBeGreaterThan(0); // the load ran into the closed socket
  expect(result.failed.filter((f) => f.status !== undefined || !["ECONNRESET", "EPIPE"].includes(f.error ?? ""))).toEqual([]);
  expect(result.failed.length).toBeLessThanOrEqual(WORKERS);

  // --- logs: JSON lines only (Next's and Node's own output included); request lines carry the client address
  const lines = s.output().split("\n").filter((l) => l.trim());
  const notJson = lines.filter((l) => {
    try {
      JSON.parse(l);
      return false;
    } catch {
      return true;
    }
  });
  expect(notJson).toEqual([]);
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(parsed.find((l) => l.msg === "request" && l.path === "/api/v1/auth/token")?.ip).toMatch(/127\.0\.0\.1|::1/);
  expect(parsed.find((l) => l.msg === "http drained")).toMatchObject({ drained: true });
  expect(parsed.some((l) => l.msg === "uncaught exception")).toBe(false);
  expect(JSON.stringify(parsed)).not.toContain(admin.password);
  return { result, stoppedMs };
}

// Without a production build (npm run build, or NEXT_DIST_DIR) these are reported as skipped.
describe.skipIf(!hasBuild)("SIGTERM drains (server.ts on a production build)", () => {
  it("on PGlite: readiness 503 first, requests in flight finish, no committed write goes unanswered", async () => {
    const { result, stoppedMs } = await scenario("pglite");
    console.warn(`drain (pglite): ${result.ok} sign-ins answered 200 and committed, ${result.refused} refused at connect, ${result.failed.length} reset at close (not committed); stopped in ${stoppedMs} ms`);
  }, 240_000);

  it.skipIf(!TEST_PG_URL)("on PostgreSQL: the same", async () => {
    const name = `carebase_drain_${randomBytes(4).toString("hex")}`;
    const adminClient = new pg.Client({ connectionString: TEST_PG_URL });
    await adminClient.connect();
    await adminClient.query(`create database ${name}`);
    await adminClient.end();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    });
    const url = new URL(TEST_PG_URL!);
    url.pathname = `/${name}`;
    const { result, stoppedMs } = await scenario(
      "postgresql",
      { DATABASE_URL: url.toString(), CAREBASE_SECRET: randomBytes(36).toString("base64") },
      url.toString(),
    );
    console.warn(`drain (postgresql): ${result.ok} sign-ins answered 200 and committed, ${result.refused} refused at connect, ${result.failed.length} reset at close (not committed); stopped in ${stoppedMs} ms`);
  }, 240_000);
});
