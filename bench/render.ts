/**
 * Render benchmark (issue 5, "Measure"): server render time of the provider dashboard
 * (`/patients`) and the patient chart (`/patients/[id]`) on PostgreSQL, on the demo clinic
 * (scripts/demo.ts) and on the 100,000-patient data set (bench/generate.ts).
 * Goal: p50 ≤ 150 ms per page per data set.
 *
 *   npm run bench:render                          both data sets
 *   npm run bench:render -- --only demo|100k      one of them
 *   npm run bench:render -- --fresh               reload the 100k data set too
 *   BENCH_RENDER_ITERATIONS=60 BENCH_RENDER_WARMUP=10 npm run bench:render
 *
 * What it does: uses the production build in NEXT_DIST_DIR (default `.next`; build it first
 * with `NEXT_DIST_DIR=… npx next build`), creates fresh PostgreSQL databases next to
 * BENCH_DATABASE_URL's server (`carebase_render_demo`, dropped and recreated each run, and
 * `carebase_render_100k`, loaded once and reused), starts `tsx server.ts` on each (what
 * `npm start` runs) with a random CAREBASE_SECRET, signs in through the browser's cookie
 * session as a provider with a large panel (demo: Dr. Rivera, attending for most of the
 * clinic; 100k: the bench provider, on 200 care teams), and times complete HTML responses
 * (headers to the last streamed byte, every Suspense boundary resolved) with sequential
 * requests after a warm-up. On the 100k set the dashboard of the admin (who sees all 100,000
 * patients) is timed too, for information. The chart cycles through the provider's first patients, so one
 * chart's cache luck does not decide the figure.
 *
 * The figures include the whole server path (proxy, session check, RLS transactions, audit
 * records of the reads, React render), not the network or the browser. On a shared machine
 * read them as ranges; the load average is printed with them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { hashPassword } from "@/core/auth/passwords";
import { generate, BENCH_ADMIN_EMAIL, DEFAULT_BENCH_URL } from "./generate";

const GOAL_P50_MS = 150;
const ITERATIONS = Number(process.env.BENCH_RENDER_ITERATIONS ?? 40);
const WARMUP = Number(process.env.BENCH_RENDER_WARMUP ?? 8);
const CHART_PATIENTS = 10;
const ROOT = process.cwd();
const DIST = process.env.NEXT_DIST_DIR || ".next";
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const fresh = args.includes("--fresh");

const BASE_URL = process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_URL;
const dbUrl = (name: string) => {
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
};

interface Stats {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}
interface DataSetResult {
  dataset: string;
  provider: string;
  patients_visible: number;
  pages: Record<"dashboard" | "chart", Stats>;
  /** Informational, not part of the goal: the dashboard of an admin, who sees every patient. */
  admin_dashboard?: Stats;
}

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, p50: q(0.5), p95: q(0.95), min: s[0], max: s[s.length - 1] };
}

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

async function recreateDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected database name ${name}`);
  const c = new pg.Client({ connectionString: dbUrl("postgres") });
  await c.connect();
  try {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  } finally {
    await c.end();
  }
}

function run(cmd: string, argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${argv.join(" ")} exited ${code}:\n${out.slice(-3000)}`))));
  });
}

interface Server {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/** `tsx server.ts` in production mode on `databaseUrl`, until /api/health answers. */
async function startServer(databaseUrl: string, secret: string): Promise<Server> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "carebase-render-"));
  const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["server.ts"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn", PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: databaseUrl, CAREBASE_SECRET: secret, NEXT_DIST_DIR: DIST },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out.slice(-3000)}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not become healthy:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A browser-like cookie session: signs in through /api/v1/auth/session and keeps the cookies the proxy refreshes. */
class CookieSession {
  private jar = new Map<string, string>();
  constructor(private base: string) {}
  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (value) this.jar.set(name, value);
      else this.jar.delete(name);
    }
  }
  private cookie() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  async signIn(email: string, password: string) {
    const res = await fetch(`${this.base}/api/v1/auth/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: this.base },
      body: JSON.stringify({ email, password }),
    });
    if (res.status !== 200) throw new Error(`sign-in as ${email} failed: ${res.status} ${await res.text()}`);
    this.keep(res);
  }
  async get(pathname: string): Promise<{ status: number; body: string }> {
    const res = await fetch(this.base + pathname, { headers: { cookie: this.cookie(), accept: "text/html" }, redirect: "manual" });
    this.keep(res);
    return { status: res.status, body: await res.text() };
  }
}

async function timePage(s: CookieSession, paths: string[], check: (body: string) => boolean): Promise<Stats> {
  const one = async (p: string) => {
    const t0 = performance.now();
    const r = await s.get(p);
    const ms = performance.now() - t0;
    if (r.status !== 200 || !check(r.body)) throw new Error(`GET ${p} answered ${r.status}, not the expected page:\n${r.body.slice(0, 500)}`);
    return ms;
  };
  for (let i = 0; i < WARMUP; i++) await one(paths[i % paths.length]);
  const ms: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) ms.push(await one(paths[i % paths.length]));
  return stats(ms);
}

async function measure(dataset: string, databaseUrl: string, email: string, password: string, admin?: { email: string; password: string }): Promise<DataSetResult> {
  const server = await startServer(databaseUrl, randomBytes(32).toString("base64url"));
  try {
    let adminDashboard: Stats | undefined;
    if (admin) {
      // Informational: an admin's dashboard covers every patient of the clinic.
      const a = new CookieSession(server.url);
      await a.signIn(admin.email, admin.password);
      adminDashboard = await timePage(a, ["/patients"], (b) => b.includes("Total Patients"));
    }
    const s = new CookieSession(server.url);
    await s.signIn(email, password);
    const list = await s.get(`/api/v1/patients?limit=${CHART_PATIENTS}`);
    if (list.status !== 200) throw new Error(`listing patients failed: ${list.status} ${list.body}`);
    const { data, count } = JSON.parse(list.body) as { data: { id: string }[]; count: number };
    if (!data.length) throw new Error(`${email} sees no patient`);
    console.log(`  ${dataset}: signed in as ${email} (${count} patients visible); ${WARMUP} warm-up + ${ITERATIONS} timed requests per page`);
    const dashboard = await timePage(s, ["/patients"], (b) => b.includes("Total Patients"));
    const chart = await timePage(s, data.map((p) => `/patients/${p.id}`), (b) => b.includes("Chart sections"));
    return { dataset, provider: email, patients_visible: count, pages: { dashboard, chart }, ...(adminDashboard ? { admin_dashboard: adminDashboard } : {}) };
  } finally {
    await server.stop();
  }
}

async function demoDataSet(): Promise<DataSetResult> {
  const url = dbUrl("carebase_render_demo");
  console.log("demo clinic: fresh database, npm run demo …");
  await recreateDatabase(url);
  const out = await run(path.join(ROOT, "node_modules", ".bin", "tsx"), ["scripts/demo.ts"], {
    ...process.env,
    DATABASE_URL: url,
    CAREBASE_SECRET: randomBytes(32).toString("base64url"),
    LOG_LEVEL: "warn",
  });
  const password = out.match(/with password: (\S+)/)?.[1];
  if (!password) throw new Error(`no password in the demo output:\n${out}`);
  return measure("demo", url, "dr.rivera@demo.carebase.test", password);
}

async function scaleDataSet(): Promise<DataSetResult> {
  const url = dbUrl("carebase_render_100k");
  console.log("100,000 patients: bench/generate.ts (loaded once, reused) …");
  const g = await generate({ url, fresh, log: (l) => console.log(`  ${l.trim()}`) });
  // The bench accounts carry no password; give the bench provider one for this run.
  const password = `render-${randomBytes(9).toString("base64url")}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let email: string;
  try {
    const hash = await hashPassword(password);
    const r = await c.query<{ email: string }>("update auth.users set password_hash = $1 where id = $2 returning email", [hash, g.benchProviderId]);
    email = r.rows[0].email;
    await c.query("update auth.users set password_hash = $1 where email = $2", [hash, BENCH_ADMIN_EMAIL]);
  } finally {
    await c.end();
  }
  return measure("100k", url, email, password, { email: BENCH_ADMIN_EMAIL, password });
}

async function main() {
  if (!existsSync(path.join(ROOT, DIST, "BUILD_ID"))) {
    throw new Error(`No production build in ${DIST}: run \`NEXT_DIST_DIR=${DIST} npx next build\` first.`);
  }
  console.log(`Render benchmark — build ${DIST}, PostgreSQL at ${new URL(BASE_URL).host}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}\n`);
  const results: DataSetResult[] = [];
  if (only !== "100k") results.push(await demoDataSet());
  if (only !== "demo") results.push(await scaleDataSet());

  console.log(`\n${"data set".padEnd(9)} ${"page".padEnd(10)} ${"n".padStart(4)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"min".padStart(7)} ${"max".padStart(7)}  p50/goal`);
  let met = true;
  for (const r of results) {
    for (const [page, s] of Object.entries(r.pages)) {
      const ratio = s.p50 / GOAL_P50_MS;
      met &&= ratio <= 1;
      console.log(
        `${r.dataset.padEnd(9)} ${page.padEnd(10)} ${String(s.n).padStart(4)} ${s.p50.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)} ${s.min.toFixed(1).padStart(7)} ${s.max.toFixed(1).padStart(7)}  ${ratio.toFixed(2)}× ${ratio <= 1 ? "" : "(over)"}`,
      );
    }
    if (r.admin_dashboard) {
      const s = r.admin_dashboard;
      console.log(`${r.dataset.padEnd(9)} ${"admin dash".padEnd(10)} ${String(s.n).padStart(4)} ${s.p50.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)} ${s.min.toFixed(1).padStart(7)} ${s.max.toFixed(1).padStart(7)}  ${(s.p50 / GOAL_P50_MS).toFixed(2)}× (informational: every patient)`);
    }
  }
  const load = os.loadavg();
  console.log(`\ngoal: p50 ≤ ${GOAL_P50_MS} ms per page per data set — ${met ? "met" : "NOT met"} (load average ${load.map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores; rerun on a quiet machine for figures to quote)`);
  const dir = path.join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `render-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ goal_p50_ms: GOAL_P50_MS, iterations: ITERATIONS, warmup: WARMUP, dist: DIST, load_average: load, cores: os.cpus().length, results }, null, 2) + "\n");
  console.log(`written to ${path.relative(ROOT, file)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
