/**
 * The chart overview's cost (issue #15, item 5; goal: p50 ≤ 60 ms, the chart's own goal) on
 * the 100,000-patient data set (bench/generate.ts, PostgreSQL), against the reads the chart
 * page made before the overview existed, in the same run, alternating patient by patient so
 * the machine's load drifts out of the comparison:
 *
 *   overview   getChartOverview: one statement under withUser + its audit record
 *   chart      the chart page's data as it was: getPatient, then visits, prescriptions,
 *              appointments, care team and documents in parallel (each its own withUser
 *              transaction with its audit record), as src/app/(portal)/patients/[id]/page.tsx
 *   chart+ov   the chart page as it is now: the same, with the overview in the parallel set
 *
 * As the bench provider (200 care teams), over their first 20 patients (10 visits and 20
 * prescriptions each; the overview's appointment, document and vitals parts find few or no
 * rows: the generator loads none, this bench adds one upcoming appointment and one pending
 * document per patient). Data path only (no HTML render, no HTTP): bench:render times pages.
 *
 *   npm run bench:overview                      BENCH_DATABASE_URL or the generator's default
 *   BENCH_OVERVIEW_ROUNDS=30 npm run bench:overview
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { sql } from "kysely";
import { openDatabase } from "@/core/db/engine";
import { useDatabase, closeDatabase } from "@/core/db";
import { asService } from "@/core/db/with-user";
import { startSession } from "@/core/auth/start-session";
import { getChartOverview } from "@/core/clinical/overview";
import { getPatient } from "@/core/clinical/patients";
import { listVisits } from "@/core/clinical/visits";
import { listPrescriptions } from "@/core/clinical/prescriptions";
import { listAppointments } from "@/core/clinical/appointments";
import { listCareTeam } from "@/core/clinical/care-team";
import { listDocuments } from "@/core/storage/list-documents";
import { generate } from "./generate";

const ROUNDS = Number(process.env.BENCH_OVERVIEW_ROUNDS ?? 20);
const PATIENTS = 20;
const GOAL_P50_MS = 60;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const fmt = (xs: number[]) => `p50 ${pct(xs, 0.5).toFixed(1).padStart(6)} ms   p95 ${pct(xs, 0.95).toFixed(1).padStart(6)} ms   (n=${xs.length})`;

async function main(): Promise<void> {
  const gen = await generate({ fresh: process.argv.includes("--fresh") });
  const db = await openDatabase({ url: gen.url, poolMax: 8 });
  useDatabase(db);
  try {
    const { session, patients } = await asService("bench: the overview's provider and patients", async (tx) => {
      const { rows } = await sql<{ patient_id: string }>`
        select patient_id from public.care_team where provider_id = ${gen.benchProviderId} order by patient_id limit ${PATIENTS}`.execute(tx);
      const ids = rows.map((r) => r.patient_id);
      // one upcoming appointment and one document awaiting review per patient, once
      await sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, reason, requested_by)
        select p, ${gen.benchProviderId}::uuid, now() + make_interval(days => 30 + n::int), now() + make_interval(days => 30 + n::int, mins => 30), 'requested', 'Bench review', ${gen.benchProviderId}::uuid
          from unnest(${ids}::uuid[]) with ordinality as t(p, n)
         where not exists (select 1 from public.appointments a where a.patient_id = t.p and a.reason = 'Bench review')`.execute(tx);
      await sql`insert into public.documents (patient_id, uploaded_by, object_key, document_type, description, content_type, size_bytes, sha256)
        select p, ${gen.benchProviderId}::uuid, p::text || '/bench-' || md5(p::text), 'lab_result', 'Bench lab', 'application/pdf', 10, md5(p::text) || md5(p::text)
          from unnest(${ids}::uuid[]) as t(p)
         where not exists (select 1 from public.documents d where d.patient_id = t.p and d.description = 'Bench lab')`.execute(tx);
      const s = await startSession(tx, { id: gen.benchProviderId, role: "provider" }, "aal1", {});
      return { session: s.session, patients: ids };
    });
    const ctx = { requestId: `bench-${randomBytes(4).toString("hex")}` };
    const chartReads = (id: string) => [
      listVisits(session, id, ctx),
      listPrescriptions(session, id, ctx),
      listAppointments(session, id, ctx),
      listCareTeam(session, id, ctx),
      listDocuments(session, id, ctx),
    ];
    const runs = {
      overview: async (id: string) => {
        await getChartOverview(session, id, ctx);
      },
      chart: async (id: string) => {
        await getPatient(session, id, ctx);
        await Promise.all(chartReads(id));
      },
      "chart+ov": async (id: string) => {
        await getPatient(session, id, ctx);
        await Promise.all([getChartOverview(session, id, ctx), ...chartReads(id)]);
      },
    };
    const times: Record<keyof typeof runs, number[]> = { overview: [], chart: [], "chart+ov": [] };
    // warm-up: every patient once each way
    for (const id of patients) for (const run of Object.values(runs)) await run(id);
    const sample = (await getChartOverview(session, patients[0], ctx));
    for (let r = 0; r < ROUNDS; r++) {
      for (const id of patients) {
        const order = (r + patients.indexOf(id)) % 2 === 0 ? (["overview", "chart", "chart+ov"] as const) : (["chart+ov", "chart", "overview"] as const);
        for (const name of order) {
          const t0 = performance.now();
          await runs[name](id);
          times[name].push(performance.now() - t0);
        }
      }
    }
    console.log(`\nchart overview vs the chart page's reads, PostgreSQL, ${gen.counts.patients.toLocaleString("en-US")} patients, bench provider on ${PATIENTS} charts, ${ROUNDS} rounds`);
    console.log(`(sample overview: ${sample.recent_visits.length} recent visits, ${sample.active_medications.length} active medications, next appointment ${sample.next_appointment ? "yes" : "no"}, ${sample.unreviewed_documents_count} to review)`);
    console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}, ${os.cpus().length} cores\n`);
    for (const [name, xs] of Object.entries(times)) console.log(`  ${name.padEnd(10)} ${fmt(xs)}`);
    const p50 = pct(times.overview, 0.5);
    console.log(`\noverview p50 ${p50.toFixed(1)} ms: ${p50 <= GOAL_P50_MS ? "within" : "OVER"} the goal of ${GOAL_P50_MS} ms`);
  } finally {
    await closeDatabase();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
