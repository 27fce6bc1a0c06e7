/**
 * npm run bench:realtime — the realtime feed on PostgreSQL.
 *
 * 1,000 WebSocket clients (10 verified care-team providers on each of 100 patients, one
 * socket each, subscribed to the patient's vitals topic) on one hub. Measures
 * insert-to-delivery latency (commit of a vitals row → frame parsed by the client) at a
 * steady 50 events/s, the delivery rate under a burst, and the authorisation queries the
 * hub ran per change (goal: 1, whatever the number of subscribers).
 *
 * Own database carebase_bench_rt, created from BENCH_PG_URL (default
 * postgres://carebase_app@127.0.0.1:5432/postgres) and dropped afterwards.
 * Clients and server share this process (and its 2 cores), so the figures include the
 * clients' own work.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import pg from "pg";
import WebSocket from "ws";

process.env.LOG_LEVEL ??= "silent";
process.env.CAREBASE_SECRET ??= randomBytes(32).toString("hex");

const { openDatabase } = await import("../src/core/db/engine");
const { migrate } = await import("../src/core/db/migrate");
const { useDatabase, closeDatabase } = await import("../src/core/db/index");
const { signAccessToken } = await import("../src/core/auth/tokens");
const { RealtimeHub } = await import("../src/core/realtime/hub");

const ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://carebase_app@127.0.0.1:5432/postgres";
const DB_NAME = "carebase_bench_rt";
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 100);
const PER_PATIENT = Number(process.env.BENCH_SOCKETS_PER_PATIENT ?? 10);
const STEADY_EVENTS = Number(process.env.BENCH_STEADY_EVENTS ?? 500);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 50);
const BURST_EVENTS = Number(process.env.BENCH_BURST_EVENTS ?? 2000);

async function admin(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  await admin(`drop database if exists ${DB_NAME} with (force)`);
  await admin(`create database ${DB_NAME}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  const db = await openDatabase({ url: url.toString(), poolMax: 10 });
  await migrate(db.pool);
  useDatabase(db);

  console.log(`seeding ${PATIENTS} patients, ${PATIENTS * PER_PATIENT} providers and sessions...`);
  const total = PATIENTS * PER_PATIENT;
  const { rows: users } = await db.pool.query<{ id: string }>(
    `insert into auth.users (email, role, full_name, password_hash)
     select 'bench-' || g || '@example.test', 'provider', 'Bench Provider ' || g, 'x' from generate_series(1, $1) g
     returning id`,
    [total],
  );
  const ids = users.map((u) => u.id);
  await db.pool.query(
    `insert into public.providers (user_id, license_number, specialty, is_verified, verified_at)
     select u, 'LIC-' || left(u::text, 8), 'Cardiology', true, now() from unnest($1::uuid[]) u`,
    [ids],
  );
  const patients: string[] = [];
  for (let p = 0; p < PATIENTS; p++) {
    const team = ids.slice(p * PER_PATIENT, (p + 1) * PER_PATIENT);
    const { rows } = await db.pool.query<{ id: string }>(
      `insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, mrn)
       values ($1, 'Bench', 'Patient' || $2::text, '1970-01-01', 'unknown', 'BENCH-' || $2::text) returning id`,
      [team[0], p],
    );
    patients.push(rows[0].id);
    await db.pool.query(
      `insert into public.care_team (patient_id, provider_id, role) select $1, u, 'nurse' from unnest($2::uuid[]) u`,
      [rows[0].id, team.slice(1)],
    );
  }
  const { rows: sessions } = await db.pool.query<{ id: string; user_id: string }>(
    `insert into auth.sessions (user_id, expires_at) select u, now() + interval '12 hours' from unnest($1::uuid[]) u returning id, user_id`,
    [ids],
  );
  const tokenOf = new Map<string, string>();
  for (const s of sessions) {
    tokenOf.set(s.user_id, await signAccessToken({ userId: s.user_id, role: "provider", sessionId: s.id, aal: "aal1" }));
  }

  const hub = new RealtimeHub(db);
  await hub.start();
  const server = createServer((_q, r) => r.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;

  // value → send time; every delivery of that value is one latency sample.
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let received = 0;
  const sockets: WebSocket[] = [];
  console.log(`connecting ${total} sockets...`);
  const t0 = performance.now();
  for (let i = 0; i < total; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (uid, k) => {
        const patient = patients[Math.floor((i + k) / PER_PATIENT)];
        const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime/v1?access_token=${tokenOf.get(uid)}`, { perMessageDeflate: false });
        sockets.push(ws);
        await new Promise<void>((resolve, reject) => {
          ws.once("error", reject);
          ws.once("open", () => {
            ws.send(JSON.stringify({ type: "subscribe", topic: `patient:${patient}:vitals` }));
          });
          ws.on("message", (data) => {
            const f = JSON.parse(data.toString()) as { type: string; record?: { samples: { value: number }[] } };
            if (f.type === "subscribed") return resolve();
            if (f.type === "error") return reject(new Error(JSON.stringify(f)));
            if (f.type === "event" && f.record) {
              const start = sentAt.get(f.record.samples[0].value);
              if (start !== undefined) latencies.push(performance.now() - start);
              received++;
            }
          });
        });
      }),
    );
  }
  console.log(`  ${sockets.length} sockets subscribed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const insert = (p: number, value: number) =>
    db.pool.query(
      `insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at) values ($1, $2, 'steps', $3, 'count', now())`,
      [patients[p], ids[p * PER_PATIENT], value],
    );
  const waitFor = async (n: number, ms: number) => {
    const end = Date.now() + ms;
    while (received < n && Date.now() < end) await sleep(5);
  };

  // Warm-up (plans, JIT of the hot paths).
  for (let i = 0; i < 50; i++) {
    sentAt.set(1_000_000 + i, performance.now());
    await insert(i % PATIENTS, 1_000_000 + i);
  }
  await waitFor(50 * PER_PATIENT, 10_000);
  latencies.length = 0;
  received = 0;
  const statsBefore = { ...hub.stats };

  console.log(`steady: ${STEADY_EVENTS} events at ${STEADY_RATE}/s, each to ${PER_PATIENT} sockets...`);
  const interval = 1000 / STEADY_RATE;
  const steadyStart = performance.now();
  for (let i = 0; i < STEADY_EVENTS; i++) {
    const due = steadyStart + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sentAt.set(i, performance.now());
    await insert(i % PATIENTS, i);
  }
  await waitFor(STEADY_EVENTS * PER_PATIENT, 20_000);
  const steadyLat = [...latencies];
  const steadyReceived = received;

  console.log(`burst: ${BURST_EVENTS} events as fast as 8 writers can commit...`);
  latencies.length = 0;
  received = 0;
  const burstStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < BURST_EVENTS) {
        const i = next++;
        sentAt.set(100_000 + i, performance.now());
        await insert(i % PATIENTS, 100_000 + i);
      }
    }),
  );
  const committed = performance.now();
  await waitFor(BURST_EVENTS * PER_PATIENT, 60_000);
  const burstEnd = performance.now();
  const burstLat = [...latencies];

  const changes = hub.stats.changes - statsBefore.changes;
  const authQueries = hub.stats.authQueries - statsBefore.authQueries;
  const fmt = (x: number) => x.toFixed(1);
  console.log("");
  console.log("bench:realtime (PostgreSQL, one hub, clients in the same process)");
  console.log(`  sockets                         ${sockets.length} across ${PATIENTS} patients' vitals channels`);
  console.log(`  steady ${STEADY_RATE} ev/s  deliveries    ${steadyReceived} / ${STEADY_EVENTS * PER_PATIENT}`);
  console.log(`  insert-to-delivery p50 / p99     ${fmt(pct(steadyLat, 50))} ms / ${fmt(pct(steadyLat, 99))} ms (max ${fmt(Math.max(...steadyLat))} ms)`);
  console.log(`  burst deliveries                ${received} / ${BURST_EVENTS * PER_PATIENT}`);
  console.log(`  burst events/s (commit→last)    ${fmt(BURST_EVENTS / ((burstEnd - burstStart) / 1000))} events/s, ${fmt(received / ((burstEnd - burstStart) / 1000))} deliveries/s (writers committed ${fmt(BURST_EVENTS / ((committed - burstStart) / 1000))} inserts/s)`);
  console.log(`  burst latency p50 / p99          ${fmt(pct(burstLat, 50))} ms / ${fmt(pct(burstLat, 99))} ms`);
  console.log(`  authorisation queries per change ${(authQueries / changes).toFixed(2)} (${authQueries} queries, ${changes} changes)`);

  for (const ws of sockets) ws.terminate();
  await hub.stop();
  server.closeAllConnections();
  server.close();
  await closeDatabase();
  await admin(`drop database if exists ${DB_NAME} with (force)`);
}

await main();
