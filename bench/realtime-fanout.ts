/**
 * npm run bench:realtime-fanout — the hub's own fan-out ceiling (issue #20, goal 2).
 *
 * The hub runs in this process; the WebSocket clients run in a child process (so their
 * parsing is not counted against the hub's CPU, though they share the machine's cores), and
 * the writers are not the bottleneck: each commit inserts one vitals row for each of
 * BENCH_BATCH patients in one statement, so one commit makes BENCH_BATCH changes.
 *
 *   BENCH_PATIENTS (50) × BENCH_SOCKETS_PER_PATIENT (40) sockets, each subscribed to its
 *   patient's vitals topic; BENCH_SECONDS (10) of writing at BENCH_RATE changes/s (500);
 *   BENCH_BATCH (25) changes per commit.
 *
 * Prints deliveries/s as the clients counted them (goal ≥ 10,000), commit-to-delivery
 * latency p50/p99 (goal p99 ≤ 100 ms: from the writer's commit acknowledgement to the
 * frame's arrival; the row carries the time its write started, which maps to that
 * acknowledgement, and both processes read the same clock; the latency from the write's
 * start is printed beside it), authorisation queries per change (goal exactly 1), and
 * where the time went: the hub process's CPU (user+system) per second of the run, and the
 * client process's. Own database carebase_bench_fanout (BENCH_PG_URL), dropped afterwards.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import os from "node:os";
import pg from "pg";
import WebSocket from "ws";

process.env.LOG_LEVEL ??= "silent";
process.env.CAREBASE_SECRET ??= randomBytes(32).toString("hex");

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 50);
const PER_PATIENT = Number(process.env.BENCH_SOCKETS_PER_PATIENT ?? 40);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const BATCH = Number(process.env.BENCH_BATCH ?? 25);
const ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://carebase_app@127.0.0.1:5432/postgres";
const DB_NAME = "carebase_bench_fanout";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ClientPlan {
  port: number;
  sockets: Array<{ token: string; topic: string }>;
}
type FromClients =
  | { type: "ready"; sockets: number }
  | { type: "reset" }
  | { type: "report"; deliveries: number; first: number; last: number; latencies: number[]; received: [number, number][]; cpuMs: number };

/** The child: opens every socket, subscribes, counts events until told to report. */
async function clients(): Promise<void> {
  const plan = await new Promise<ClientPlan>((resolve) => process.once("message", (m) => resolve(m as ClientPlan)));
  const latencies: number[] = [];
  /** [the write's start as the row carries it, when the frame arrived]: matched with the commit's acknowledgement by the parent */
  const received: [number, number][] = [];
  let deliveries = 0;
  let first = 0;
  let last = 0;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < plan.sockets.length; i += 100) {
    await Promise.all(
      plan.sockets.slice(i, i + 100).map(
        ({ token, topic }) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${plan.port}/realtime/v1?access_token=${token}`, { perMessageDeflate: false });
            sockets.push(ws);
            ws.once("error", reject);
            ws.once("open", () => ws.send(JSON.stringify({ type: "subscribe", topic })));
            ws.on("message", (data) => {
              const text = data.toString();
              if (text.includes('"type":"event"')) {
                const now = Date.now();
                deliveries++;
                if (!first) first = now;
                last = now;
                // every 8th sample is enough for the percentiles and keeps the child light
                if ((deliveries & 7) === 0) {
                  const f = JSON.parse(text) as { record?: { samples?: { value: number }[]; value?: number } };
                  const sent = f.record?.samples?.[0]?.value ?? f.record?.value;
                  if (typeof sent === "number") {
                    latencies.push(now - sent);
                    received.push([sent, now]);
                  }
                }
                return;
              }
              const f = JSON.parse(text) as { type: string };
              if (f.type === "subscribed") resolve();
              else if (f.type === "error") reject(new Error(text));
            });
          }),
      ),
    );
  }
  process.send!({ type: "ready", sockets: sockets.length } satisfies FromClients);
  // "reset" after the warm-up, then "report"
  await new Promise<void>((resolve) => process.once("message", () => resolve()));
  deliveries = 0;
  first = 0;
  last = 0;
  latencies.length = 0;
  received.length = 0;
  const cpuAtReset = process.cpuUsage();
  process.send!({ type: "reset" } satisfies FromClients);
  await new Promise<void>((resolve) => process.once("message", () => resolve()));
  const cpu = process.cpuUsage(cpuAtReset);
  process.send!({ type: "report", deliveries, first, last, latencies, received, cpuMs: (cpu.user + cpu.system) / 1000 } satisfies FromClients);
  for (const ws of sockets) ws.terminate();
  setTimeout(() => process.exit(0), 200);
}

async function admin(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const { openDatabase } = await import("../src/core/db/engine");
  const { migrate } = await import("../src/core/db/migrate");
  const { useDatabase, closeDatabase } = await import("../src/core/db/index");
  const { signAccessToken } = await import("../src/core/auth/tokens");
  const { becomeService } = await import("../src/core/db/with-user");
  const { RealtimeHub } = await import("../src/core/realtime/index");

  await admin(`drop database if exists ${DB_NAME} with (force)`);
  await admin(`create database ${DB_NAME}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  const db = await openDatabase({ url: url.toString(), poolMax: 10 });
  let child: ChildProcess | undefined;
  try {
    await migrate(db.pool);
    useDatabase(db);
    const svc = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<pg.QueryResult<R>> => {
      const c = await db.pool.connect();
      try {
        await c.query("begin");
        await becomeService(c, "bench:realtime-fanout");
        const r = await c.query<R>(text, params);
        await c.query("commit");
        return r;
      } catch (e) {
        await c.query("rollback").catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    };

    const total = PATIENTS * PER_PATIENT;
    console.log(`seeding ${PATIENTS} patients with ${PER_PATIENT} care-team providers each (${total} sessions)...`);
    const { rows: users } = await svc<{ id: string }>(
      `insert into auth.users (email, role, full_name, password_hash)
       select 'fan-' || g || '@example.test', 'provider', 'Fan Provider ' || g, 'x' from generate_series(1, $1) g returning id`,
      [total],
    );
    const ids = users.map((u) => u.id);
    await svc(
      `insert into public.providers (user_id, license_number, specialty, is_verified, verified_at)
       select u, 'LIC-' || left(u::text, 8), 'Cardiology', true, now() from unnest($1::uuid[]) u`,
      [ids],
    );
    const patients: string[] = [];
    for (let p = 0; p < PATIENTS; p++) {
      const team = ids.slice(p * PER_PATIENT, (p + 1) * PER_PATIENT);
      const { rows } = await svc<{ id: string }>(
        `insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, mrn)
         values ($1, 'Fan', 'Patient' || $2::text, '1970-01-01', 'unknown', 'FAN-' || $2::text) returning id`,
        [team[0], p],
      );
      patients.push(rows[0].id);
      await svc(`insert into public.care_team (patient_id, provider_id, role) select $1, u, 'nurse' from unnest($2::uuid[]) u`, [rows[0].id, team.slice(1)]);
    }
    const { rows: sessions } = await svc<{ id: string; user_id: string }>(
      `insert into auth.sessions (user_id, expires_at) select u, now() + interval '12 hours' from unnest($1::uuid[]) u returning id, user_id`,
      [ids],
    );
    const sessionOf = new Map(sessions.map((s) => [s.user_id, s.id]));
    const plan: ClientPlan = { port: 0, sockets: [] };
    for (let i = 0; i < ids.length; i++) {
      const token = await signAccessToken({ userId: ids[i], role: "provider", sessionId: sessionOf.get(ids[i])!, aal: "aal1" });
      plan.sockets.push({ token, topic: `patient:${patients[Math.floor(i / PER_PATIENT)]}:vitals` });
    }

    const hub = new RealtimeHub(db);
    await hub.start();
    const server = createServer((_q, r) => r.writeHead(404).end());
    server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    plan.port = (server.address() as AddressInfo).port;

    child = fork(process.argv[1], ["--clients"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const fromChild = (type: FromClients["type"]) =>
      new Promise<FromClients>((resolve, reject) => {
        child!.once("exit", (code) => reject(new Error(`the client process exited (${code})`)));
        child!.on("message", (m) => {
          if ((m as FromClients).type === type) resolve(m as FromClients);
        });
      });
    const ready = fromChild("ready");
    child.send(plan);
    console.log(`connecting ${total} sockets in the client process...`);
    const r = (await ready) as Extract<FromClients, { type: "ready" }>;
    console.log(`  ${r.sockets} sockets subscribed`);

    // one statement per commit: BATCH patients, one row each; value = the writer's clock when the write starts,
    // and the time its commit is acknowledged is kept by that value (the latency goal counts from the commit)
    const committedAt = new Map<number, number>();
    const write = (first: number) => {
      const started = Date.now();
      return svc(
        `insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at)
         select p, $2, 'steps', $3, 'count', now() from unnest($1::uuid[]) p`,
        [Array.from({ length: BATCH }, (_, k) => patients[(first + k) % PATIENTS]), ids[0], started],
      ).then((r) => {
        if (!committedAt.has(started)) committedAt.set(started, Date.now());
        return r;
      });
    };
    for (let i = 0; i < 10; i++) await write(i * BATCH); // warm-up
    await sleep(1500);
    const reset = fromChild("reset");
    child.send("reset");
    await reset;
    const before = { ...hub.stats };
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const commits = Math.round((RATE * SECONDS) / BATCH);
    const interval = (1000 * BATCH) / RATE;
    let inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < commits; i++) {
      const wait = t0 + i * interval - Date.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(write(i * BATCH));
      if (inFlight.length >= 4) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    const writeSeconds = (Date.now() - t0) / 1000;
    const expected = commits * BATCH * PER_PATIENT;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && hub.stats.changes - before.changes < commits * BATCH) await sleep(50);
    await sleep(2000);
    const cpu = process.cpuUsage(cpu0);
    const reportP = fromChild("report");
    child.send("report");
    const rep = (await reportP) as Extract<FromClients, { type: "report" }>;
    const changes = hub.stats.changes - before.changes;
    const authQueries = hub.stats.authQueries - before.authQueries;
    const span = Math.max(1, rep.last - t0) / 1000;
    const rate = rep.deliveries / span;
    console.log(`\nfan-out: ${commits * BATCH} changes in ${writeSeconds.toFixed(1)} s (target ${RATE}/s, ${BATCH} per commit), each to ${PER_PATIENT} sockets`);
    console.log(`  deliveries             ${rep.deliveries} / ${expected} (${((rep.deliveries / expected) * 100).toFixed(1)} %)`);
    console.log(`  deliveries/s           ${rate.toFixed(0)} (goal ≥ 10,000: ${rate >= 10_000 ? "met" : "NOT met"})`);
    // a frame can arrive before the writer has read its commit's acknowledgement: that is 0 ms
    const fromCommit = rep.received.filter(([sent]) => committedAt.has(sent)).map(([sent, at]) => Math.max(0, at - committedAt.get(sent)!));
    console.log(`  commit-to-delivery     p50 ${pct(fromCommit, 50)} ms, p99 ${pct(fromCommit, 99)} ms (goal p99 ≤ 100 ms: ${pct(fromCommit, 99) <= 100 ? "met" : "NOT met"}; ${fromCommit.length} sampled frames)`);
    console.log(`  write-start-to-delivery p50 ${pct(rep.latencies, 50)} ms, p99 ${pct(rep.latencies, 99)} ms (includes the writer's own insert and commit)`);
    console.log(`  authorisation queries  ${authQueries} for ${changes} changes = ${(authQueries / Math.max(1, changes)).toFixed(2)} per change (goal 1)`);
    console.log(`  CPU per second of run  hub process ${((cpu.user + cpu.system) / 1000 / span / 10).toFixed(0)} %, client process ${(rep.cpuMs / span / 10).toFixed(0)} % (of one core; ${os.cpus().length} cores; load average ${os.loadavg()[0].toFixed(1)})`);
    await hub.stop();
    server.close();
  } finally {
    child?.kill();
    await closeDatabase().catch(() => {});
    await admin(`drop database if exists ${DB_NAME} with (force)`).catch(() => {});
  }
}

if (process.argv.includes("--clients")) await clients();
else
  await main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
