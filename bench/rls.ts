/**
 * RLS benchmark (issue 2, "Measure"): what row-level security costs on the two reads a
 * provider does most, at clinic-network scale (bench/generate.ts).
 *
 *   npm run bench:rls                      BENCH_DATABASE_URL (default carebase_bench on 127.0.0.1)
 *   BENCH_ITERATIONS=500 npm run bench:rls
 *   npm run bench:rls -- --explain         also print the plans (EXPLAIN ANALYZE) of each query
 *   npm run bench:rls -- --fresh           reload the data first
 *
 * Each read runs twice per iteration, interleaved (order alternating), after a warm-up:
 *   rls   through the real withUser (claims + SET LOCAL ROLE, policies apply), as the
 *         bench provider (on 200 care teams);
 *   hand  through asService (the table owner, no RLS) with the same access rule written
 *         by hand in the query (care-team member, verified provider, active account).
 * Timings cover the whole transaction (begin, claims, statements, commit): what a request pays.
 * Neither side records the read in the audit trail (that cost is the same for both).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sql, type RawBuilder } from "kysely";
import { openDatabase } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { useDatabase, closeDatabase } from "@/core/db";
import { withUser, asService, type Tx } from "@/core/db/with-user";
import { startSession } from "@/core/auth/start-session";
import { authenticateAccessToken } from "@/core/auth/authenticate-access-token";
import type { Session } from "@/core/auth/session-types";
import { generate, DEFAULT_BENCH_URL } from "./generate";

const GOAL = { ratio: 1.3, dashboardP50Ms: 20 };

type Filter = "rls" | "hand";

const handTeam = (providerId: string) => sql`p.id in (
    select ct.patient_id
      from public.care_team ct
      join public.providers pr on pr.user_id = ct.provider_id and pr.is_verified
      join auth.users u on u.id = ct.provider_id and u.is_active
     where ct.provider_id = ${providerId})`;

/**
 * The provider dashboard: the provider's patients with last visit date, last diagnosis and
 * active-prescription count, ordered by last name, first 50. The page of patients is
 * chosen first and only its 50 rows are decorated by the lateral subqueries.
 */
function dashboardQuery(filter: Filter, providerId: string): RawBuilder<unknown> {
  return sql`
    select p.id, p.first_name, p.last_name, p.mrn, lv.visit_date, lv.diagnosis, rx.active_prescriptions
      from (select p.id, p.first_name, p.last_name, p.mrn
              from public.patients p
             ${filter === "rls" ? sql`` : sql`where ${handTeam(providerId)}`}
             order by lower(p.last_name), lower(p.first_name), p.id
             limit 50) p
      left join lateral (select v.visit_date, v.diagnosis
                           from public.visits v
                          where v.patient_id = p.id
                          order by v.visit_date desc
                          limit 1) lv on true
      left join lateral (select count(*)::int as active_prescriptions
                           from public.prescriptions r
                          where r.patient_id = p.id and r.is_active) rx on true
     order by lower(p.last_name), lower(p.first_name), p.id`;
}

/**
 * The same dashboard written the naive way: the laterals sit beside the patients scan and
 * the limit comes last, so PostgreSQL decorates every one of the provider's patients
 * (200) before keeping 50. Measured for information: under RLS each lateral rescan also
 * re-checks the policy's array (see docs/rls-shape.md).
 */
function dashboardAllQuery(filter: Filter, providerId: string): RawBuilder<unknown> {
  return sql`
    select p.id, p.first_name, p.last_name, p.mrn, lv.visit_date, lv.diagnosis, rx.active_prescriptions
      from public.patients p
      left join lateral (select v.visit_date, v.diagnosis
                           from public.visits v
                          where v.patient_id = p.id
                          order by v.visit_date desc
                          limit 1) lv on true
      left join lateral (select count(*)::int as active_prescriptions
                           from public.prescriptions r
                          where r.patient_id = p.id and r.is_active) rx on true
     ${filter === "rls" ? sql`` : sql`where ${handTeam(providerId)}`}
     order by lower(p.last_name), lower(p.first_name), p.id
     limit 50`;
}

/**
 * The patient list sorted by last visit (GET /api/v1/patients?sort=-last_visit): every one of
 * the provider's patients needs its last visit before the page can be chosen, so this is the
 * unpaged read. `shape` "probe" is a per-patient subquery (one index probe per patient, each
 * re-checking the policy's array under RLS); "set" reads the team's visits once, grouped.
 */
function listByVisitQuery(filter: Filter, providerId: string, shape: "probe" | "set"): RawBuilder<unknown> {
  const team = filter === "rls" ? sql`` : sql`where ${handTeam(providerId)}`;
  const visitTeam = filter === "rls" ? sql`` : sql`where v.patient_id in (select p.id from public.patients p where ${handTeam(providerId)})`;
  const lastVisit =
    shape === "probe"
      ? sql`(select max(v.visit_date) from public.visits v where v.patient_id = p.id) as last_visit_date`
      : sql`lv.last_visit_date`;
  const join = shape === "probe" ? sql`` : sql`left join (select v.patient_id, max(v.visit_date) as last_visit_date from public.visits v ${visitTeam} group by v.patient_id) lv on lv.patient_id = p.id`;
  return sql`
    select p.id, p.first_name, p.last_name, p.mrn, ${lastVisit}
      from public.patients p ${join}
     ${team}
     order by last_visit_date desc nulls last, p.id
     limit 50`;
}

/** The name/MRN search of the patient list (GET /api/v1/patients?search=…): a prefix over names and MRN, first 50 by name. */
function searchQuery(filter: Filter, providerId: string, term: string): RawBuilder<unknown> {
  const like = `${term.toLowerCase()}%`;
  return sql`
    select p.id, p.first_name, p.last_name, p.mrn
      from public.patients p
     where (lower(p.last_name) like ${like} or lower(p.first_name) like ${like}
            or lower(p.first_name || ' ' || p.last_name) like ${like} or lower(p.mrn) like ${like})
       ${filter === "rls" ? sql`` : sql`and ${handTeam(providerId)}`}
     order by lower(p.last_name), lower(p.first_name), p.id
     limit 50`;
}

/** The hand-written rule for one patient: the caller is on its care team (verified, active). */
const handMember = (patientCol: RawBuilder<unknown>, providerId: string) => sql`exists (
  select 1 from public.care_team ct
    join public.providers pr on pr.user_id = ct.provider_id and pr.is_verified
    join auth.users u on u.id = ct.provider_id and u.is_active
   where ct.patient_id = ${patientCol} and ct.provider_id = ${providerId})`;

/** A patient chart: the patient row, their visits, their prescriptions (three statements). */
function chartQueries(filter: Filter, providerId: string, patientId: string): RawBuilder<unknown>[] {
  const and = (col: string) => (filter === "rls" ? sql`` : sql`and ${handMember(sql.ref(col), providerId)}`);
  return [
    sql`select p.* from public.patients p where p.id = ${patientId} ${and("p.id")}`,
    sql`select v.id, v.provider_id, v.visit_date, v.chief_complaint, v.diagnosis, v.notes, v.vitals
          from public.visits v where v.patient_id = ${patientId} ${and("v.patient_id")}
         order by v.visit_date desc`,
    sql`select r.id, r.visit_id, r.prescriber_id, r.medication, r.dosage, r.frequency, r.start_date, r.end_date, r.is_active
          from public.prescriptions r where r.patient_id = ${patientId} ${and("r.patient_id")}
         order by r.start_date desc`,
  ];
}

async function readChart(tx: Tx, queries: RawBuilder<unknown>[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of queries) out.push((await q.execute(tx)).rows);
  return out;
}

interface Stats {
  p50: number;
  p99: number;
  mean: number;
  min: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: round(at(0.5)), p99: round(at(0.99)), mean: round(s.reduce((a, b) => a + b, 0) / s.length), min: round(s[0]) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const url = process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_URL;
  const iterations = Number(process.env.BENCH_ITERATIONS ?? 300);
  const warmup = Number(process.env.BENCH_WARMUP ?? 30);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error("BENCH_ITERATIONS must be a positive integer");

  console.log(`RLS benchmark on ${url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@")}`);
  const gen = await generate({ url, fresh: args.includes("--fresh") });

  const db = await openDatabase({ url, poolMax: 2 });
  await migrate(db.pool);
  useDatabase(db);
  try {
    const providerId = gen.benchProviderId;
    const service = <T>(fn: (tx: Tx) => Promise<T>) => asService("bench: hand-filtered baseline", fn);
    // a real session of the bench provider: withUser checks that the session is live
    const started = await asService("bench: the bench provider's session", (tx) => startSession(tx, { id: providerId, role: "provider" }, "aal1", {}));
    const session: Session = await authenticateAccessToken(started.tokens.access_token);

    // The chart: the bench provider's first patient by name (stable across runs).
    const chartPatient = await service(async (tx) => {
      const { rows } = await sql<{ id: string }>`
        select p.id from public.patients p join public.care_team ct on ct.patient_id = p.id
         where ct.provider_id = ${providerId} order by lower(p.last_name), p.id limit 1`.execute(tx);
      return rows[0].id;
    });
    const teamSize = await service(async (tx) => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from public.care_team where provider_id = ${providerId}`.execute(tx);
      return rows[0].n;
    });

    // a search term that matches some of the provider's patients: the first two letters of one's last name
    const term = await service(async (tx) => {
      const { rows } = await sql<{ t: string }>`
        select left(lower(p.last_name), 2) as t from public.patients p join public.care_team ct on ct.patient_id = p.id
         where ct.provider_id = ${providerId} order by p.id limit 1`.execute(tx);
      return rows[0].t;
    });
    const SHAPE = (process.env.BENCH_LIST_SHAPE ?? "set") as "probe" | "set";

    type ReadName = "dashboard" | "dashboard_unpaged" | "chart" | "list_by_visit" | "search";
    const READS: ReadName[] = ["dashboard", "dashboard_unpaged", "chart", "list_by_visit", "search"];
    const runs: Record<ReadName, Record<Filter, () => Promise<unknown>>> = {
      dashboard: {
        rls: () => withUser(session, (tx) => dashboardQuery("rls", providerId).execute(tx)),
        hand: () => service((tx) => dashboardQuery("hand", providerId).execute(tx)),
      },
      dashboard_unpaged: {
        rls: () => withUser(session, (tx) => dashboardAllQuery("rls", providerId).execute(tx)),
        hand: () => service((tx) => dashboardAllQuery("hand", providerId).execute(tx)),
      },
      chart: {
        rls: () => withUser(session, (tx) => readChart(tx, chartQueries("rls", providerId, chartPatient))),
        hand: () => service((tx) => readChart(tx, chartQueries("hand", providerId, chartPatient))),
      },
      list_by_visit: {
        rls: () => withUser(session, (tx) => listByVisitQuery("rls", providerId, SHAPE).execute(tx)),
        hand: () => service((tx) => listByVisitQuery("hand", providerId, SHAPE).execute(tx)),
      },
      search: {
        rls: () => withUser(session, (tx) => searchQuery("rls", providerId, term).execute(tx)),
        hand: () => service((tx) => searchQuery("hand", providerId, term).execute(tx)),
      },
    };

    // Both sides must return the same rows, or the comparison means nothing.
    for (const name of READS) {
      const a = JSON.stringify(await runs[name].rls());
      const b = JSON.stringify(await runs[name].hand());
      if (a !== b) throw new Error(`${name}: the RLS and hand-filtered reads return different rows`);
    }
    const dash = (await runs.dashboard.rls()) as { rows: unknown[] };
    console.log(`bench provider ${providerId}: ${teamSize} patients; dashboard returns ${dash.rows.length} rows; chart patient ${chartPatient}`);

    if (args.includes("--explain")) {
      for (const filter of ["rls", "hand"] as const) {
        const run = filter === "rls" ? <T>(fn: (tx: Tx) => Promise<T>) => withUser(session, fn) : service;
        await run(async (tx) => {
          const statements: [string, RawBuilder<unknown>][] = [
            ["dashboard", dashboardQuery(filter, providerId)],
            ["dashboard_unpaged", dashboardAllQuery(filter, providerId)],
            ["list_by_visit", listByVisitQuery(filter, providerId, SHAPE)],
            ["search", searchQuery(filter, providerId, term)],
            ...chartQueries(filter, providerId, chartPatient).map((q, i) => [`chart statement ${i + 1}`, q] as [string, RawBuilder<unknown>]),
          ];
          for (const [label, q] of statements) {
            const { rows } = await sql<{ "QUERY PLAN": string }>`explain (analyze, buffers, costs off) ${q}`.execute(tx);
            console.log(`\n--- ${label}, ${filter}\n${rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
          }
        });
      }
    }

    const samples = Object.fromEntries(READS.map((n) => [n, { rls: [] as number[], hand: [] as number[], paired: [] as number[] }])) as Record<
      ReadName,
      { rls: number[]; hand: number[]; paired: number[] }
    >;
    for (let i = 0; i < warmup + iterations; i++) {
      for (const name of READS) {
        const order: Filter[] = i % 2 === 0 ? ["rls", "hand"] : ["hand", "rls"];
        const took: Partial<Record<Filter, number>> = {};
        for (const filter of order) {
          const t = performance.now();
          await runs[name][filter]();
          took[filter] = performance.now() - t;
        }
        if (i >= warmup) {
          samples[name].rls.push(took.rls!);
          samples[name].hand.push(took.hand!);
          samples[name].paired.push(took.rls! / took.hand!);
        }
      }
    }

    const results = Object.fromEntries(
      READS.map((name) => {
        const rls = stats(samples[name].rls);
        const hand = stats(samples[name].hand);
        return [
          name,
          {
            rls,
            hand,
            ratio_p50: Math.round((rls.p50 / hand.p50) * 100) / 100,
            // Median of the per-iteration ratios: steadier when the machine is busy.
            ratio_paired_median: Math.round(stats(samples[name].paired).p50 * 100) / 100,
          },
        ];
      }),
    ) as Record<ReadName, { rls: Stats; hand: Stats; ratio_p50: number; ratio_paired_median: number }>;

    const { rows: ver } = await db.pool.query<{ v: string }>("select current_setting('server_version') as v");
    const GOAL_READS: ReadName[] = ["dashboard", "chart", "list_by_visit", "search"];
    const pass = GOAL_READS.every((n) => results[n].ratio_p50 <= GOAL.ratio) && results.dashboard.rls.p50 <= GOAL.dashboardP50Ms;

    console.log(`\n${iterations} iterations each (after ${warmup} warm-up), interleaved; milliseconds per transaction\n`);
    console.log("read               filter   p50      p99      mean     ratio p50  paired");
    for (const name of READS) {
      for (const filter of ["rls", "hand"] as const) {
        const s = results[name][filter];
        const ratio = filter === "rls" ? `${results[name].ratio_p50.toFixed(2).padStart(9)}  ${results[name].ratio_paired_median.toFixed(2).padStart(6)}` : "";
        console.log(`${name.padEnd(18)} ${filter.padEnd(8)} ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}  ${s.mean.toFixed(2).padStart(7)}  ${ratio}`);
      }
    }
    console.log(
      `\nlist_by_visit shape: ${SHAPE}; search term: "${term}…"` +
        `\ngoal (dashboard, chart, list_by_visit, search): ratio <= ${GOAL.ratio} and dashboard p50 <= ${GOAL.dashboardP50Ms} ms: ${pass ? "MET" : "NOT MET"}` +
        `\n(dashboard_unpaged is informational: ratio ${results.dashboard_unpaged.ratio_p50.toFixed(2)})`,
    );

    const report = {
      benchmark: "rls",
      date: new Date().toISOString(),
      engine: "postgresql",
      server_version: ver[0].v,
      data: gen.counts,
      bench_provider_patients: teamSize,
      iterations,
      warmup,
      unit: "ms per transaction",
      results,
      list_by_visit_shape: SHAPE,
      goal: { ratio_p50_max: GOAL.ratio, dashboard_p50_ms_max: GOAL.dashboardP50Ms, reads: GOAL_READS, met: pass },
    };
    const dir = path.join(process.cwd(), "bench", "results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `rls-${report.date.replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
    console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await closeDatabase();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
