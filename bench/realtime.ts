/**
 * npm run bench:realtime — the realtime feed on PostgreSQL.
 *
 * 1,000 WebSocket clients (10 verified care-team providers on each of 100 patients, one
 * socket each, subscribed to the patient's vitals topic) on one hub. Measures
 * insert-to-delivery latency (commit of a vitals row → frame parsed by the client) at a
 * steady 50 events/s, the delivery rate under a burst, and the authorisation queries the
 * hub ran per change (goal: 1, whatever the number of subscribers).
 *
 * Outage runs (issue #13, item 1), each under a steady 150 writes/s from one writer:
 *   - listener kill: pg_terminate_backend on the hub's LISTEN connection;
 *   - database outage: every connection of the database terminated and new ones refused
 *     (CONNECTION LIMIT 0) for BENCH_OUTAGE_DOWN_MS, so writes and deliveries in flight fail
 *     too, as when PostgreSQL stops (the shared server itself is not stopped).
 * Each prints events delivered / events committed (committed = read back from
 * app.change_events afterwards, times the sockets each reaches), sockets that saw an event
 * out of order, duplicates, and the time to catch up: from the kill until every event
 * committed before the listener was back had reached every socket. Goal: 100 %, in order,
 * no duplicates.
 *
 * Short runs: BENCH_PHASES=outage (or steady,burst,outage), BENCH_OUTAGE_SECONDS (8),
 * BENCH_OUTAGE_RATE (150), BENCH_OUTAGE_DOWN_MS (3000), BENCH_PATIENTS, BENCH_SOCKETS_PER_PATIENT.
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
const { becomeService } = await import("../src/core/db/with-user");
const { RealtimeHub } = await import("../src/core/realtime/hub");

const ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://carebase_app@127.0.0.1:5432/postgres";
const DB_NAME = "carebase_bench_rt";
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 100);
const PER_PATIENT = Number(process.env.BENCH_SOCKETS_PER_PATIENT ?? 10);
const STEADY_EVENTS = Number(process.env.BENCH_STEADY_EVENTS ?? 500);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 50);
const BURST_EVENTS = Number(process.env.BENCH_BURST_EVENTS ?? 2000);
const PHASES = new Set((process.env.BENCH_PHASES ?? "steady,burst,outage").split(",").map((x) => x.trim()));
const OUTAGE_SECONDS = Number(process.env.BENCH_OUTAGE_SECONDS ?? 8);
const OUTAGE_RATE = Number(process.env.BENCH_OUTAGE_RATE ?? 150);
const OUTAGE_DOWN_MS = Number(process.env.BENCH_OUTAGE_DOWN_MS ?? 3000);

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
  // RLS is forced on every table (docs/security.md): the bench writes on the service path.
  const svc = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<pg.QueryResult<R>> => {
    const c = await db.pool.connect();
    try {
      await c.query("begin");
      await becomeService(c, "bench:realtime");
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

  console.log(`seeding ${PATIENTS} patients, ${PATIENTS * PER_PATIENT} providers and sessions...`);
  const total = PATIENTS * PER_PATIENT;
  const { rows: users } = await svc<{ id: string }>(
    `insert into auth.users (email, role, full_name, password_hash)
     select 'bench-' || g || '@example.test', 'provider', 'Bench Provider ' || g, 'x' from generate_series(1, $1) g
     returning id`,
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
       values ($1, 'Bench', 'Patient' || $2::text, '1970-01-01', 'unknown', 'BENCH-' || $2::text) returning id`,
      [team[0], p],
    );
    patients.push(rows[0].id);
    await svc(
      `insert into public.care_team (patient_id, provider_id, role) select $1, u, 'nurse' from unnest($2::uuid[]) u`,
      [rows[0].id, team.slice(1)],
    );
  }
  const { rows: sessions } = await svc<{ id: string; user_id: string }>(
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
  // During an outage run: every event each socket receives, with when.
  let recording: { socket: number; eventId: number; at: number }[] | null = null;
  const sockets: WebSocket[] = [];
  let resyncFrames = 0;
  console.log(`connecting ${total} sockets...`);
  const t0 = performance.now();
  for (let i = 0; i < total; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (uid, k) => {
        const socketNo = i + k;
        const patient = patients[Math.floor((i + k) / PER_PATIENT)];
        const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime/v1?access_token=${tokenOf.get(uid)}`, { perMessageDeflate: false });
        sockets.push(ws);
        await new Promise<void>((resolve, reject) => {
          ws.once("error", reject);
          ws.once("open", () => {
            ws.send(JSON.stringify({ type: "subscribe", topic: `patient:${patient}:vitals` }));
          });
          ws.on("message", (data) => {
            const f = JSON.parse(data.toString()) as { type: string; code?: string; event_id?: number; record?: { samples: { value: number }[] } };
            if (f.type === "subscribed") return resolve();
            if (f.type === "error") {
              if (recording) return void resyncFrames++;
              return reject(new Error(JSON.stringify(f)));
            }
            if (f.type === "event" && f.record) {
              recording?.push({ socket: socketNo, eventId: f.event_id!, at: Date.now() });
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
    svc(
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
  const fmt = (x: number) => x.toFixed(1);
  const report: string[] = [];

  if (PHASES.has("steady")) {
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
    report.push(
      `  steady ${STEADY_RATE} ev/s  deliveries    ${received} / ${STEADY_EVENTS * PER_PATIENT}`,
      `  insert-to-delivery p50 / p99     ${fmt(pct(latencies, 50))} ms / ${fmt(pct(latencies, 99))} ms (max ${fmt(Math.max(...latencies))} ms)`,
    );
    latencies.length = 0;
    received = 0;
  }

  if (PHASES.has("burst")) {
    console.log(`burst: ${BURST_EVENTS} events as fast as 8 writers can commit...`);
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
    report.push(
      `  burst deliveries                ${received} / ${BURST_EVENTS * PER_PATIENT}`,
      `  burst events/s (commit→last)    ${fmt(BURST_EVENTS / ((burstEnd - burstStart) / 1000))} events/s, ${fmt(received / ((burstEnd - burstStart) / 1000))} deliveries/s (writers committed ${fmt(BURST_EVENTS / ((committed - burstStart) / 1000))} inserts/s)`,
      `  burst latency p50 / p99          ${fmt(pct(latencies, 50))} ms / ${fmt(pct(latencies, 99))} ms`,
    );
  }
  const changes = hub.stats.changes - statsBefore.changes;
  const authQueries = hub.stats.authQueries - statsBefore.authQueries;
  if (changes > 0) report.push(`  authorisation queries per change ${(authQueries / changes).toFixed(2)} (${authQueries} queries, ${changes} changes)`);

  /**
   * One outage run: a paced writer for OUTAGE_SECONDS, `breakIt` called after a quarter of
   * it, then every socket's events compared with what app.change_events says committed.
   */
  const outageRun = async (name: string, breakIt: () => Promise<void>, restoredAt?: () => number | undefined) => {
    console.log(`outage (${name}): ${OUTAGE_SECONDS} s of writes at ${OUTAGE_RATE}/s...`);
    const { rows: before } = await svc<{ id: string | null }>("select max(id)::text as id from app.change_events");
    const fromId = Number(before[0].id ?? 0);
    const outagesBefore = hub.outagesCaughtUp;
    const hubBefore = { ...hub.stats };
    recording = [];
    resyncFrames = 0;
    let failedWrites = 0;
    let killedAt = 0;
    const count = OUTAGE_SECONDS * OUTAGE_RATE;
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = start + (i * 1000) / OUTAGE_RATE - performance.now();
      if (wait > 0) await sleep(wait);
      if (i === Math.floor(count / 4)) {
        killedAt = Date.now();
        await breakIt();
      }
      await insert(i % PATIENTS, 200_000 + i).catch(() => failedWrites++);
    }
    // Everything that committed, per patient, oldest first (readable again once the database is back).
    const deadline = Date.now() + 60_000;
    while (hub.outagesCaughtUp === outagesBefore && Date.now() < deadline) await sleep(50);
    const { rows } = await svc<{ id: string; patient_id: string; created_at: Date }>(
      "select e.id::text as id, e.patient_id::text as patient_id, e.created_at from app.change_events e where e.id > $1 order by e.id",
      [fromId],
    );
    const byPatient = new Map<string, number[]>();
    for (const r of rows) byPatient.set(r.patient_id, [...(byPatient.get(r.patient_id) ?? []), Number(r.id)]);
    const expected = rows.length * PER_PATIENT;
    while (recording.length < expected && Date.now() < deadline) await sleep(50);
    await sleep(500); // duplicates still on their way
    const got = recording;
    recording = null;

    const perSocket = new Map<number, number[]>();
    for (const g of got) perSocket.set(g.socket, [...(perSocket.get(g.socket) ?? []), g.eventId]);
    let delivered = 0;
    let duplicates = 0;
    let missing = 0;
    let outOfOrder = 0;
    for (let sock = 0; sock < total; sock++) {
      const want = byPatient.get(patients[Math.floor(sock / PER_PATIENT)]) ?? [];
      const have = perSocket.get(sock) ?? [];
      const distinct = new Set(have);
      duplicates += have.length - distinct.size;
      delivered += [...distinct].filter((id) => want.includes(id)).length;
      missing += want.filter((id) => !distinct.has(id)).length;
      if (have.some((id, k) => k > 0 && id <= have[k - 1])) outOfOrder++;
    }
    // Time to catch up: from the kill until the last delivery of an event committed before the listener was back.
    const outage = hub.lastOutage;
    const resumedAt = outage?.resumedAt ?? killedAt;
    const backlog = new Set(rows.filter((r) => new Date(r.created_at).getTime() < resumedAt).map((r) => Number(r.id)));
    const lastBacklogDelivery = Math.max(killedAt, ...got.filter((g) => backlog.has(g.eventId)).map((g) => g.at));
    // After a database outage: how long the first event committed once it was back took to reach every socket.
    const backAt = restoredAt?.();
    const firstAfter = backAt === undefined ? undefined : rows.find((r) => new Date(r.created_at).getTime() >= backAt);
    const firstAfterDelivered = firstAfter && Math.max(...got.filter((g) => g.eventId === Number(firstAfter.id)).map((g) => g.at));
    report.push(
      `  outage: ${name}`,
      `    delivered / committed          ${delivered} / ${expected} = ${fmt((100 * delivered) / Math.max(1, expected))} % (${rows.length} events × ${PER_PATIENT} sockets; ${failedWrites} writes failed while it was down)`,
      `    in order / duplicates / missing ${total - outOfOrder} of ${total} sockets in order, ${duplicates} duplicates, ${missing} missing`,
      `    time to catch up               ${fmt((lastBacklogDelivery - killedAt) / 1000)} s after the kill (listener deaf ${fmt(((outage?.resumedAt ?? 0) - (outage?.lostAt ?? 0)) / 1000)} s, change log read and ${outage?.recovered ?? 0} events handed over in ${outage ? outage.caughtUpAt - outage.resumedAt : "?"} ms)`,
      ...(firstAfter && firstAfterDelivered
        ? [`    live again                     the first event written after the database was back reached every socket ${fmt((firstAfterDelivered - new Date(firstAfter.created_at).getTime()) / 1000)} s after its write`]
        : []),
      `    deliveries retried / resyncs   ${hub.stats.deliveryFailures - hubBefore.deliveryFailures} failed attempts retried, ${hub.stats.resyncsRequired - hubBefore.resyncsRequired} subscriptions told resync_required (${resyncFrames} error frames)`,
    );
  };

  if (PHASES.has("outage")) {
    const killListener = async () => {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        await c.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'carebase-realtime'");
      } finally {
        await c.end();
      }
    };
    await outageRun("the LISTEN connection killed (pg_terminate_backend)", killListener);
    let restored: number | undefined;
    await outageRun(
      `every connection killed, none accepted for ${fmt(OUTAGE_DOWN_MS / 1000)} s`,
      async () => {
        await admin(`alter database ${DB_NAME} connection limit 0`);
        await admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${DB_NAME}'`);
        setTimeout(() => {
          void admin(`alter database ${DB_NAME} connection limit -1`).then(() => (restored = Date.now()));
        }, OUTAGE_DOWN_MS);
      },
      () => restored,
    );
  }

  console.log("");
  console.log("bench:realtime (PostgreSQL, one hub, clients in the same process)");
  console.log(`  sockets                         ${sockets.length} across ${PATIENTS} patients' vitals channels`);
  for (const line of report) console.log(line);

  for (const ws of sockets) ws.terminate();
  await hub.stop();
  server.closeAllConnections();
  server.close();
  await closeDatabase();
  await admin(`drop database if exists ${DB_NAME} with (force)`);
}

await main();
