/**
 * Audit-trail benchmark (issue 4, "Measure"), on PostgreSQL.
 *
 *   npm run bench:audit
 *   BENCH_AUDIT_URL=postgres://carebase_app@127.0.0.1:5432/postgres  (the server; the bench
 *       creates and finally drops its own database, carebase_bench_audit)
 *   BENCH_SECONDS=10        duration of each write run
 *   BENCH_ROWS=1000000      audit records loaded for the pagination and verify figures (0 skips)
 *   BENCH_WRITES=0          skip the write figures (1)
 *   npm run bench:audit -- --keep   keep the database afterwards
 *
 * 1. Audited writes, 8 concurrent writers (withUser as verified providers, RLS on, realtime
 *    capture on): visits inserted 1, 10 and 100 per statement → audit records/s, beside the
 *    same writes with the audit trigger off (alternating slices); and account events alone.
 * 2. A patient-chart read's p50 alone and with its audit record, interleaved in the same run
 *    (one client, then 8 concurrent): the audit write's added cost. Goal ≤ 25 %. The product
 *    path (getPatient: the record staged in the read's own statement) beside a separate
 *    recordRead call and the old chained write; CPU per read (database backend + node), which
 *    a busy machine disturbs less than latency; and how fast staged records drain.
 * 3. Admin search over BENCH_ROWS records: first page, filtered, and a deep keyset page.
 * 4. audit:verify over the whole trail.
 * The HTTP figure (≥ 500 chart reads/s through the API) is bench/http.ts (npm run bench:http).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { sql } from "kysely";
import { openDatabase } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { database, useDatabase, closeDatabase } from "@/core/db";
import { withUser, asService, type Tx } from "@/core/db/with-user";
import type { Session } from "@/core/auth/session-types";
import { drainStagedReads, recordRead } from "@/core/audit/record";
import { findVisiblePatient, getPatient } from "@/core/clinical/patients";
import { recordEvent } from "@/core/audit/events";
import { selectAuditPage } from "@/core/audit/list-audit-records";
import { checkpointKey, writeCheckpoints } from "@/core/audit/checkpoint";
import { verifyAuditTrail } from "@/core/audit/verify-trail";

process.env.CAREBASE_SECRET ||= randomBytes(32).toString("base64url");

const SERVER = process.env.BENCH_AUDIT_URL ?? "postgres://carebase_app@127.0.0.1:5432/postgres";
const DB_NAME = "carebase_bench_audit";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const WRITES = process.env.BENCH_WRITES !== "0";
const WRITERS = 8;
const GOAL = { recordsPerSecond: 5000, readOverhead: 0.25 };

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function admin(q: string) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

function session(userId: string, role: Session["role"], aal: Session["aal"] = "aal1"): Session {
  return { userId, role, sessionId: randomUUID(), aal };
}

async function seed(providers: number, patientsEach: number) {
  return asService("bench seeding", async (tx) => {
    const { rows: adminRows } = await sql<{ id: string }>`
      insert into auth.users (email, password_hash, role, full_name) values ('admin@bench.test', 'x', 'admin', 'Bench Admin') returning id`.execute(tx);
    const docs: Array<{ id: string; patients: string[] }> = [];
    for (let i = 0; i < providers; i++) {
      const { rows } = await sql<{ id: string }>`
        insert into auth.users (email, password_hash, role, full_name) values (${`doc${i}@bench.test`}, 'x', 'provider', ${`Doctor ${i}`}) returning id`.execute(tx);
      const id = rows[0].id;
      await sql`insert into public.providers (user_id, license_number, specialty, is_verified, verified_at) values (${id}, ${`LIC-${i}`}, 'Family medicine', true, now())`.execute(tx);
      const { rows: pts } = await sql<{ id: string }>`
        insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, mrn)
        select ${id}, 'Pat', 'Ient ' || g, date '1970-01-01' + g, 'female', ${`B${i}-`} || g from generate_series(1, ${patientsEach}) g
        returning id`.execute(tx);
      docs.push({ id, patients: pts.map((p) => p.id) });
    }
    return { adminId: adminRows[0].id, docs };
  });
}

async function auditCount(): Promise<number> {
  return asService("bench: count", async (tx) => Number((await sql<{ n: string }>`select coalesce(max(id), 0)::text as n from public.audit_log`.execute(tx)).rows[0].n));
}

async function eventRun(docs: Array<{ id: string; patients: string[] }>, adminId: string) {
  const before = await auditCount();
  const deadline = performance.now() + SECONDS * 1000;
  let txs = 0;
  const started = performance.now();
  const s = session(adminId, "admin", "aal2");
  await Promise.all(
    docs.slice(0, WRITERS).map(async (doc) => {
      while (performance.now() < deadline) {
        await withUser(s, async (tx) => {
          for (let k = 0; k < 20; k++) {
            await recordEvent(tx, { action: "care_team.changed", patientId: doc.patients[k], details: { change: "role_changed", provider_id: doc.id, role: "nurse" } });
          }
        });
        txs++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { recordsPerSecond: ((await auditCount()) - before) / elapsed, txPerSecond: txs / elapsed };
}

async function writeRun(docs: Array<{ id: string; patients: string[] }>, perTx: number, audited = true, seconds = SECONDS): Promise<{ recordsPerSecond: number; txPerSecond: number; p50: number }> {
  const before = await auditCount();
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let txs = 0;
  const started = performance.now();
  await Promise.all(
    docs.slice(0, WRITERS).map(async (doc, w) => {
      const s = session(doc.id, "provider");
      let i = 0;
      while (performance.now() < deadline) {
        const patient = doc.patients[i++ % doc.patients.length];
        const t0 = performance.now();
        await withUser(s, (tx) =>
          tx
            .insertInto("visits")
            .values(Array.from({ length: perTx }, (_, k) => ({
              patient_id: patient, provider_id: doc.id, visit_date: new Date(), chief_complaint: `Follow-up ${w}-${i}-${k}`,
            })))
            .execute(),
        );
        latencies.push(performance.now() - t0);
        txs++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const records = (await auditCount()) - before;
  if (audited && records < txs * perTx) throw new Error(`expected at least ${txs * perTx} audit records, found ${records}`);
  return { recordsPerSecond: records / elapsed, txPerSecond: txs / elapsed, p50: pct(latencies, 50) };
}

type ReadVariant = "bare" | "folded" | "separate" | "chained";

/**
 * One patient-chart read, four ways: the read alone (findVisiblePatient: getPatient's query
 * without its record); the product's path (getPatient: the read record staged in the read's
 * own statement); the record staged by a separate recordRead call (one more round trip, as
 * most other read paths do); the record written straight onto a chain (app.record_read,
 * the path before staging).
 */
async function chartRead(s: Session, patientId: string, variant: ReadVariant): Promise<number> {
  const t0 = performance.now();
  const context = { requestId: randomUUID(), ip: "127.0.0.1", userAgent: "bench" };
  if (variant === "folded") {
    await getPatient(s, patientId, context);
  } else {
    await withUser(s, async (tx: Tx) => {
      const row = await findVisiblePatient(tx, patientId);
      if (variant === "separate") await recordRead(tx, { kind: "patient_chart", patientIds: [row.id], recordIds: [row.id] });
      if (variant === "chained") await sql`select app.record_read('patient_chart', ${[row.id]}::uuid[], ${[row.id]}::text[])`.execute(tx);
    }, context);
  }
  return performance.now() - t0;
}

const VARIANTS: ReadVariant[] = ["bare", "folded", "separate", "chained"];

async function readRun(docs: Array<{ id: string; patients: string[] }>, clients: number, iterations: number) {
  const times: Record<ReadVariant, number[]> = { bare: [], folded: [], separate: [], chained: [] };
  await Promise.all(
    docs.slice(0, clients).map(async (doc, c) => {
      const s = session(doc.id, "provider");
      for (let i = 0; i < iterations; i++) {
        const p = doc.patients[i % doc.patients.length];
        // rotate the order so that no variant always runs first (or warm)
        for (let k = 0; k < VARIANTS.length; k++) {
          const v = VARIANTS[(i + c + k) % VARIANTS.length];
          times[v].push(await chartRead(s, p, v));
        }
      }
    }),
  );
  const p50 = Object.fromEntries(VARIANTS.map((v) => [v, pct(times[v], 50)])) as Record<ReadVariant, number>;
  const p95 = Object.fromEntries(VARIANTS.map((v) => [v, pct(times[v], 95)])) as Record<ReadVariant, number>;
  return { p50, p95, overhead: p50.folded / p50.bare - 1, overheadSeparate: p50.separate / p50.bare - 1, overheadChained: p50.chained / p50.bare - 1 };
}

/**
 * CPU time per chart read, database backend + this process, for each variant: a figure
 * that other load on a shared machine disturbs much less than latency. One connection
 * (its backend's CPU from /proc, so only with the server on this machine).
 */
async function cpuRun(url: string, doc: { id: string; patients: string[] }, perVariant: number) {
  const one = await openDatabase({ url, poolMax: 1 });
  const main = await database();
  useDatabase(one);
  try {
    const { rows } = await one.pool.query<{ pid: number }>("select pg_backend_pid() as pid");
    const ticks = () => {
      const f = readFileSync(`/proc/${rows[0].pid}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(f[11]) + Number(f[12])) * 10; // ms (USER_HZ 100)
    };
    try {
      ticks();
    } catch {
      return null; // the database runs elsewhere
    }
    const s = session(doc.id, "provider");
    const cpu: Record<ReadVariant, { server: number; client: number }> = {
      bare: { server: 0, client: 0 }, folded: { server: 0, client: 0 }, separate: { server: 0, client: 0 }, chained: { server: 0, client: 0 },
    };
    for (const v of VARIANTS) for (let i = 0; i < 100; i++) await chartRead(s, doc.patients[i % doc.patients.length], v);
    for (let round = 0; round < 4; round++) {
      for (const v of VARIANTS) {
        const t0 = ticks();
        const c0 = process.cpuUsage();
        for (let i = 0; i < perVariant / 4; i++) await chartRead(s, doc.patients[i % doc.patients.length], v);
        const c = process.cpuUsage(c0);
        cpu[v].server += ticks() - t0;
        cpu[v].client += (c.user + c.system) / 1000;
      }
    }
    const perRead = (x: number) => (x / perVariant) * 1000; // µs
    return Object.fromEntries(VARIANTS.map((v) => [v, {
      serverMicros: perRead(cpu[v].server), clientMicros: perRead(cpu[v].client), totalMicros: perRead(cpu[v].server + cpu[v].client),
    }])) as Record<ReadVariant, { serverMicros: number; clientMicros: number; totalMicros: number }>;
  } finally {
    useDatabase(main);
    await one.close();
  }
}

async function load(rows: number, patients: string[], actors: string[]) {
  const chunk = 100_000;
  for (let done = 0; done < rows; done += chunk) {
    const n = Math.min(chunk, rows - done);
    await asService("bench: bulk audit records", (tx) =>
      sql`insert into public.audit_log (actor_id, actor_role, action, table_name, patient_id, details)
          select (${actors}::uuid[])[1 + g % ${actors.length}], 'provider',
                 (array['read','read','read','insert','update'])[1 + g % 5],
                 (array['patient_chart','visits','prescriptions','visits','visits'])[1 + g % 5],
                 (${patients}::uuid[])[1 + g % ${patients.length}], jsonb_build_object('records', jsonb_build_array(g))
            from generate_series(1, ${n}) g`.execute(tx),
    );
    process.stdout.write(`  loaded ${done + n} records\r`);
  }
  process.stdout.write("\n");
  await asService("bench: analyze", (tx) => sql`analyze public.audit_log`.execute(tx));
}

async function timeSearch(adminSession: Session, label: string, filters: Parameters<typeof selectAuditPage>[1], deep: boolean) {
  const times: number[] = [];
  let cursor: Parameters<typeof selectAuditPage>[2];
  if (deep) {
    // a cursor from the middle of the range: what page 10,000 costs
    cursor = await asService("bench: cursor", async (tx) => {
      const { rows } = await sql<{ at: string; id: string }>`
        select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, id::text as id
          from public.audit_log order by id limit 1 offset (select count(*) / 2 from public.audit_log)`.execute(tx);
      return rows[0];
    });
  }
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await withUser(adminSession, (tx) => selectAuditPage(tx, filters, cursor, 50));
    times.push(performance.now() - t0);
  }
  console.log(`  ${label.padEnd(44)} p50 ${ms(pct(times, 50))}   p95 ${ms(pct(times, 95))}`);
  return { label, p50: pct(times, 50), p95: pct(times, 95) };
}

async function main() {
  const keep = process.argv.includes("--keep");
  await admin(`drop database if exists ${DB_NAME} with (force)`);
  await admin(`create database ${DB_NAME}`);
  const url = new URL(SERVER);
  url.pathname = `/${DB_NAME}`;
  const db = await openDatabase({ url: url.toString(), poolMax: WRITERS + 1 });
  useDatabase(db);
  try {
    await migrate(db.pool);
    const { rows: v } = await db.pool.query<{ v: string }>("select current_setting('server_version') as v");
    const loadAvg = (await import("node:os")).loadavg()[0].toFixed(1);
    console.log(`PostgreSQL ${v[0].v}; ${WRITERS} writers; ${SECONDS} s per write run; load average ${loadAvg} on ${(await import("node:os")).cpus().length} cores`);
    const { adminId, docs } = await seed(WRITERS, 50);
    const results: Record<string, unknown> = { server: v[0].v, writers: WRITERS, seconds: SECONDS };

    let batch = { recordsPerSecond: NaN };
    let single = { recordsPerSecond: NaN };
    if (WRITES) {
      console.log("1. audited writes, 8 writers (visits under RLS; statement audit trigger + chain; realtime capture on)");
      // Each shape runs with and without the audit trigger in alternating slices (owner-only
      // ALTER, for the bench), so that other load on the machine hits both sides alike.
      const shapes = [1, 10, 100];
      const audited: Record<number, Array<Awaited<ReturnType<typeof writeRun>>>> = { 1: [], 10: [], 100: [] };
      const bare: Record<number, Array<Awaited<ReturnType<typeof writeRun>>>> = { 1: [], 10: [], 100: [] };
      for (let slice = 0; slice < 2; slice++) {
        for (const n of shapes) {
          audited[n].push(await writeRun(docs, n, true, SECONDS / 2));
          await db.pool.query("alter table public.visits disable trigger visits_audit_insert");
          bare[n].push(await writeRun(docs, n, false, SECONDS / 2));
          await db.pool.query("alter table public.visits enable trigger visits_audit_insert");
        }
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const perShape = shapes.map((n) => ({
        rowsPerStatement: n,
        auditRecordsPerSecond: mean(audited[n].map((r) => r.recordsPerSecond)),
        auditedRowsPerSecond: mean(audited[n].map((r) => r.txPerSecond * n)),
        bareRowsPerSecond: mean(bare[n].map((r) => r.txPerSecond * n)),
        auditedP50: mean(audited[n].map((r) => r.p50)),
      }));
      for (const r of perShape) {
        console.log(`  ${String(r.rowsPerStatement).padStart(3)} row(s) per statement: ${r.auditRecordsPerSecond.toFixed(0).padStart(6)} audit records/s` +
          `  (visits/s ${r.auditedRowsPerSecond.toFixed(0)} audited vs ${r.bareRowsPerSecond.toFixed(0)} without the trigger; tx p50 ${ms(r.auditedP50)})`);
      }
      single = { recordsPerSecond: perShape[0].auditRecordsPerSecond };
      batch = { recordsPerSecond: Math.max(perShape[1].auditRecordsPerSecond, perShape[2].auditRecordsPerSecond) };
      // audit records alone: 8 writers, each transaction records 20 account events (durable commit)
      const events = await eventRun(docs, adminId);
      console.log(`  audit records alone (recordEvent × 20 per transaction): ${events.recordsPerSecond.toFixed(0)} audit records/s (${events.txPerSecond.toFixed(0)} tx/s)`);
      results.writes = { perShape, eventsOnly: events, goal: GOAL.recordsPerSecond };
    }
    console.log("2. patient-chart read: the read alone vs with its audit record (interleaved, rotating order)");
    const line = (label: string, r: Awaited<ReturnType<typeof readRun>>) => {
      console.log(`  ${label} p50 ${ms(r.p50.bare)} alone; ${ms(r.p50.folded)} with the record in the read's statement (getPatient) → +${(r.overhead * 100).toFixed(1)} %`);
      console.log(`  ${" ".repeat(label.length)} staged by a separate recordRead ${ms(r.p50.separate)} (+${(r.overheadSeparate * 100).toFixed(1)} %); ` +
        `chained at once (app.record_read, the old path) ${ms(r.p50.chained)} (+${(r.overheadChained * 100).toFixed(1)} %); p95 ${ms(r.p95.bare)} / ${ms(r.p95.folded)}`);
    };
    const seq = await readRun(docs, 1, 1500);
    line("1 client: ", seq);
    const conc = await readRun(docs, WRITERS, 250);
    line("8 clients:", conc);
    const cpu = await cpuRun(url.toString(), docs[0], 4000);
    if (cpu) {
      const c = (v: ReadVariant) => `${cpu[v].totalMicros.toFixed(0)} µs (db ${cpu[v].serverMicros.toFixed(0)} + node ${cpu[v].clientMicros.toFixed(0)})`;
      console.log(`  CPU per read, 1 connection: alone ${c("bare")}; getPatient ${c("folded")} → +${((cpu.folded.totalMicros / cpu.bare.totalMicros - 1) * 100).toFixed(1)} %; ` +
        `separate ${c("separate")}; chained ${c("chained")}`);
    }
    const drain0 = performance.now();
    let drained = 0;
    for (let n = -1; n !== 0; ) drained += n = await drainStagedReads(db.pool, 10_000);
    const drainSeconds = (performance.now() - drain0) / 1000;
    console.log(`  drain: ${drained.toLocaleString("en")} staged read records moved onto the chains in ${drainSeconds.toFixed(2)} s (${(drained / drainSeconds).toFixed(0)} records/s, batches of 10,000)`);
    results.chartRead = { oneClient: seq, eightClients: conc, cpuPerRead: cpu, drain: { records: drained, seconds: drainSeconds }, goal: GOAL.readOverhead };

    if (ROWS > 0) {
      console.log(`3. admin search over ${ROWS.toLocaleString("en")} more records (keyset pages of 50)`);
      const t0 = performance.now();
      await load(ROWS, docs.flatMap((d) => d.patients), docs.map((d) => d.id));
      const loadSeconds = (performance.now() - t0) / 1000;
      console.log(`  bulk load: ${(ROWS / loadSeconds).toFixed(0)} audit records/s in one writer (insert … select, chained per row)`);
      const a = session(adminId, "admin", "aal2");
      const patient = docs[3].patients[7];
      const search = [
        await timeSearch(a, "first page, no filter", {}, false),
        await timeSearch(a, "first page, one patient", { patient }, false),
        await timeSearch(a, "first page, one actor + action", { actor: docs[2].id, action: "update" }, false),
        await timeSearch(a, "first page, table filter", { table: "prescriptions" }, false),
        await timeSearch(a, "page from the middle (keyset), no filter", {}, true),
        await timeSearch(a, "page from the middle (keyset), one patient", { patient }, true),
      ];
      results.search = { rows: ROWS, loadRecordsPerSecond: ROWS / loadSeconds, pages: search };
    }

    console.log("4. audit:verify over the whole trail");
    const key = checkpointKey();
    await writeCheckpoints(db.pool, key);
    const v0 = performance.now();
    const verified = await verifyAuditTrail(db.pool, key);
    const vs = (performance.now() - v0) / 1000;
    console.log(`  ${verified.ok ? "intact" : "BROKEN"}: ${verified.records.toLocaleString("en")} records in ${vs.toFixed(1)} s (${(verified.records / vs).toFixed(0)} records/s)`);
    results.verify = { ok: verified.ok, records: verified.records, seconds: vs };

    const dir = path.join(process.cwd(), "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "audit.json"), JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2) + "\n");
    const okWrites = batch.recordsPerSecond >= GOAL.recordsPerSecond;
    results.loadAverage = (await import("node:os")).loadavg();
    const okReads = seq.overhead <= GOAL.readOverhead;
    const writesLine = WRITES
      ? `${okWrites ? "met" : "NOT met"} (${batch.recordsPerSecond.toFixed(0)}/s batched, ${single.recordsPerSecond.toFixed(0)}/s single-row)`
      : "not measured (BENCH_WRITES=0)";
    console.log(`\ngoals (load average ${(await import("node:os")).loadavg()[0].toFixed(1)}): ≥ ${GOAL.recordsPerSecond} audit records/s with 8 writers: ${writesLine}; ` +
      `chart-read p50 overhead ≤ ${GOAL.readOverhead * 100} %: ${okReads ? "met" : "NOT met"} (+${(seq.overhead * 100).toFixed(1)} %)`);
  } finally {
    await closeDatabase();
    if (!keep) await admin(`drop database if exists ${DB_NAME} with (force)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
