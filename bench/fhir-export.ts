/**
 * bench:fhir-export (issue #16): a system-level Bulk Data export of the bench clinic as its
 * admin (aal2), through the real runner: keyset pages of patients under withUser (RLS and
 * audit records), the read API's mappers, NDJSON sealed into DATA_DIR/exports. Reports
 * resources/s and the peak growth of the process's RSS over its value before the export
 * (sampled every 50 ms). Goals: >= 20,000 resources/s, RSS growth <= 100 MB.
 *
 *   npm run bench:fhir-export                     the 100,000-patient set (bench/generate.ts) in
 *                                                 BENCH_DATABASE_URL (default carebase_bench on 127.0.0.1)
 *   npm run bench:fhir-export -- --patients 5000  a throw-away database with N patients of the same
 *                                                 shape (10 visits with vital signs, 20 prescriptions each)
 *   BENCH_PAGE=250                                patients per page
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { closeDatabase, useDatabase } from "@/core/db";
import { enterRuntimeRole, openDatabase } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { asService, withUser } from "@/core/db/with-user";
import { startSession } from "@/core/auth/start-session";
import { LocalObjectStore } from "@/core/storage/local-store";
import { runExport } from "@/core/fhir/export/run-export";
import { exportableTypes } from "@/core/fhir/export/exportable-types";
import { openMigratedDatabase } from "../scripts/lib/migrated-database";
import { generate } from "./generate";

const GOAL = { resourcesPerSecond: 20_000, rssGrowthMb: 100 };
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SMALL = arg("--patients") ? Number(arg("--patients")) : undefined;
const PAGE = Number(process.env.BENCH_PAGE ?? 250);
const SERVER = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://carebase_app@127.0.0.1:5432/postgres";

/** N patients shaped like the bench set, set-based, as the service identity. */
async function seedSmall(n: number): Promise<void> {
  await asService("bench seeding", async (tx) => {
    await sql`insert into auth.users (id, email, password_hash, role, full_name)
      select md5('fe-provider-' || g)::uuid, 'fe-provider-' || g || '@bench.test', '!', 'provider', 'Provider ' || g from generate_series(1, 50) g`.execute(tx);
    await sql`insert into public.providers (user_id, credential, license_number, specialty, is_verified, verified_at)
      select md5('fe-provider-' || g)::uuid, 'physician', 'LIC-' || g, 'Family medicine', true, now() from generate_series(1, 50) g`.execute(tx);
    await sql`insert into public.patients (id, created_by, first_name, last_name, date_of_birth, gender, allergies, mrn)
      select md5('fe-patient-' || g)::uuid, md5('fe-provider-' || (1 + g % 50))::uuid, 'Pat' || g, 'Ient' || g,
             date '1950-01-01' + (g % 20000), (array['female','male','other','unknown'])[1 + g % 4],
             case when g % 3 = 0 then array['penicillin'] else '{}'::text[] end, 'FE-' || g
        from generate_series(1, ${n}) g`.execute(tx);
    await sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, diagnosis, vitals)
      select p.id, p.created_by, now() - make_interval(days => v), 'Follow-up ' || v, case when v % 2 = 0 then 'Hypertension' end,
             jsonb_build_object('blood_pressure', '128/84', 'heart_rate', 60 + v, 'temperature_c', 36.8, 'spo2', 97)
        from public.patients p cross join generate_series(1, 10) v where p.mrn like 'FE-%'`.execute(tx);
    await sql`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
      select p.id, p.created_by, 'Drug ' || r, '10 mg', 'once daily', current_date - r
        from public.patients p cross join generate_series(1, 20) r where p.mrn like 'FE-%'`.execute(tx);
  });
}

async function main(): Promise<void> {
  let drop = async () => {};
  if (SMALL) {
    const m = await openMigratedDatabase("postgresql", { serverUrl: SERVER, poolMax: 4, prefix: "carebase_bench_fhir_export" });
    useDatabase(m.db);
    drop = m.drop;
    await seedSmall(SMALL);
  } else {
    const g = await generate({ log: (line) => console.log(line) });
    const db = await openDatabase({ url: g.url, poolMax: 4 });
    await migrate(db.pool);
    await enterRuntimeRole(db);
    useDatabase(db);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "carebase-bench-export-"));
  try {
    const store = new LocalObjectStore(path.join(dir, "exports"), Buffer.alloc(32, 3));
    const admin = await asService("bench seeding", async (tx) => {
      const { rows } = await sql<{ id: string }>`insert into auth.users (email, password_hash, role, full_name)
        values (${`fe-admin-${Date.now()}@bench.test`}, '!', 'admin', 'Export Admin') returning id`.execute(tx);
      return (await startSession(tx, { id: rows[0].id, role: "admin" }, "aal2", {})).session;
    });
    const types = exportableTypes("system");
    const jobId = await withUser(admin, async (tx) =>
      (await tx.insertInto("app.fhir_export_jobs").values({ owner_id: admin.userId, level: "system", types, request: "bench" }).returning("id").executeTakeFirstOrThrow()).id,
    );
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t0 = performance.now();
    await runExport(jobId, admin, { base: "http://bench/fhir/R4", origin: "http://bench", store, patientsPerPage: PAGE });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const job = await asService("bench: read the job", (tx) => tx.selectFrom("app.fhir_export_jobs").select(["status", "output", "error"]).where("id", "=", jobId).executeTakeFirstOrThrow());
    if (job.status !== "completed") throw new Error(`export ${job.status}: ${job.error}`);
    const total = job.output.reduce((n, o) => n + o.count, 0);
    const rate = total / seconds;
    const growth = (peak - rss0) / 1024 / 1024;
    console.log(`bench:fhir-export on PostgreSQL, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}, ${SMALL ?? "100,000 (bench set)"} patients, ${PAGE} per page`);
    for (const o of job.output) console.log(`  ${o.type.padEnd(20)} ${String(o.count).padStart(10)}`);
    console.log(`  ${total} resources in ${seconds.toFixed(1)} s: ${rate.toFixed(0)} resources/s (goal >= ${GOAL.resourcesPerSecond}); peak RSS growth ${growth.toFixed(0)} MB (goal <= ${GOAL.rssGrowthMb})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (SMALL) await drop();
    else await closeDatabase();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
