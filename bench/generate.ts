/**
 * The scale-data generator: loads a clinic the size of a regional network into a
 * PostgreSQL database, with set-based SQL, as the service identity (the table owner).
 *
 *   npx tsx bench/generate.ts [--fresh] [--url postgres://...]
 *
 * Shape (deterministic ids, seeded randomness):
 *   1,000 verified providers (auth.users + providers), 1 admin who verified them;
 *   100,000 patients; ~150,000 care-team rows: every patient has an attending, about half
 *   have a nurse or specialist too; provider #1 (the "bench provider") is on exactly 200
 *   teams, the others on 30–260 each (weighted draw);
 *   1,000,000 visits (10 per patient) and 2,000,000 prescriptions (20 per patient, ~25%
 *   active, most linked to one of the patient's visits).
 *
 * Everything loads in ONE transaction: user triggers (creator-joins-care-team, audit
 * triggers, cache invalidation) are disabled for the load and re-enabled before commit,
 * so a failed or interrupted load leaves neither data nor disabled triggers behind.
 */
import { pathToFileURL } from "node:url";
import pg from "pg";
import { openDatabase, type Database } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { becomeService } from "@/core/db/with-user";

export const DEFAULT_BENCH_URL = "postgres://carebase_app@127.0.0.1:5432/carebase_bench";

export const SCALE = {
  providers: 1_000,
  patients: 100_000,
  visitsPerPatient: 10,
  prescriptionsPerPatient: 20,
  /** Care-team memberships of the bench provider (#1). */
  benchProviderPatients: 200,
} as const;

/** Deterministic ids, so the bench (and anyone poking at the data) can name them. */
export const providerIdSql = (n: string) => `md5('carebase-bench-provider-' || ${n})::uuid`;
export const BENCH_ADMIN_EMAIL = "admin@bench.carebase.test";

export interface GenerateOptions {
  url?: string;
  fresh?: boolean;
  log?: (line: string) => void;
}

export interface GenerateResult {
  url: string;
  reused: boolean;
  counts: Counts;
  seconds: number;
  /** The provider with ~200 patients, for the benchmarks. */
  benchProviderId: string;
}

interface Counts {
  providers: number;
  patients: number;
  care_team: number;
  visits: number;
  prescriptions: number;
}

const LOADED_TABLES = ["auth.users", "public.providers", "public.patients", "public.care_team", "public.visits", "public.prescriptions", "public.vitals_counts"];

/** Creates (or reuses) the bench database, migrates it, and loads the data if it is not there. */
export async function generate(opts: GenerateOptions = {}): Promise<GenerateResult> {
  const url = opts.url ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_URL;
  const say = opts.log ?? ((line: string) => console.log(line));
  const t0 = performance.now();
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    const out = await fn();
    say(`  ${label.padEnd(44)} ${((performance.now() - s) / 1000).toFixed(1).padStart(6)} s`);
    return out;
  };

  await ensureDatabase(url, opts.fresh ?? false, say);
  const db = await openDatabase({ url, poolMax: 2 });
  try {
    await step("migrations", () =>
      migrate(db.pool).catch((e: unknown) => {
        const m = (e as Error).message;
        if (/changed after it was applied/.test(m)) throw new Error(`${m} (bench database: reload it with --fresh)`, { cause: e });
        throw e;
      }),
    );
    const before = await countRows(db);
    if (isLoaded(before)) {
      say(`bench data already loaded (${formatCounts(before)}); pass --fresh to reload`);
      return { url, reused: true, counts: before, seconds: (performance.now() - t0) / 1000, benchProviderId: await benchProviderId(db) };
    }
    if (before.patients > 0 || before.providers > 0) {
      throw new Error(`The database at ${redact(url)} holds other data (${formatCounts(before)}); use --fresh or another database.`);
    }
    say(`loading ${SCALE.providers} providers, ${SCALE.patients} patients, ${SCALE.patients * SCALE.visitsPerPatient} visits, ${SCALE.patients * SCALE.prescriptionsPerPatient} prescriptions`);
    await load(db, step);
    await step("vacuum analyze", async () => {
      for (const t of LOADED_TABLES) await db.pool.query(`vacuum (analyze) ${t}`);
    });
    const counts = await countRows(db);
    const seconds = (performance.now() - t0) / 1000;
    say(`loaded in ${seconds.toFixed(1)} s: ${formatCounts(counts)}`);
    return { url, reused: false, counts, seconds, benchProviderId: await benchProviderId(db) };
  } finally {
    await db.close();
  }
}

async function load(db: Database, step: <T>(label: string, fn: () => Promise<T>) => Promise<T>): Promise<void> {
  const c = await db.pool.connect();
  const q = (text: string) => c.query(text);
  try {
    await q("begin");
    await q("set local synchronous_commit = off");
    await q("set local work_mem = '64MB'");
    await q("set local maintenance_work_mem = '256MB'");
    await q("select setseed(0.42)");
    await step("disable user triggers", async () => {
      for (const t of LOADED_TABLES) await q(`alter table ${t} disable trigger user`);
    });
    // Since 0510 RLS is forced on every table and the owner (this login) has no policy: lift
    // the force for this transaction's bulk load; it is back before the commit (all or nothing).
    await step("lift forced RLS for the load", async () => {
      for (const t of LOADED_TABLES) await q(`alter table ${t} no force row level security`);
    });

    await step("providers (auth.users + providers)", async () => {
      await q(`
        create temp table gen_provider on commit drop as
        select n, ${providerIdSql("n")} as id,
               -- provider #1 is placed by hand; the others get a weight in [0.3, 2.6)
               case when n = 1 then 0 else 0.3 + 2.3 * random() end as weight
          from generate_series(1, ${SCALE.providers}) n`);
      await q(`
        insert into auth.users (id, email, password_hash, role, full_name)
        values (md5('carebase-bench-admin')::uuid, '${BENCH_ADMIN_EMAIL}', '!bench-account-without-password', 'admin', 'Bench Admin')`);
      await q(`
        insert into auth.users (id, email, password_hash, role, full_name)
        select id, 'provider' || n || '@bench.carebase.test', '!bench-account-without-password', 'provider',
               'Dr ' || (array['Ada','Ben','Chen','Dana','Eli','Fatima','Gus','Hana','Ivan','Jo'])[1 + n % 10] || ' Bench' || n
          from gen_provider`);
      await q(`
        insert into public.providers (user_id, license_number, specialty, is_verified, verified_at, verified_by)
        select id, 'LIC-B' || lpad(n::text, 6, '0'),
               (array['Family medicine','Cardiology','Pediatrics','Oncology','Dermatology','Neurology','Internal medicine','Psychiatry'])[1 + n % 8],
               true, now() - interval '400 days', md5('carebase-bench-admin')::uuid
          from gen_provider`);
      // Cumulative weight ranges for a weighted draw of providers #2..#1000.
      await q(`
        create temp table gen_range on commit drop as
        select n, id, coalesce(sum(weight) over (order by n rows between unbounded preceding and 1 preceding), 0) / total as lo
          from gen_provider, (select sum(weight) as total from gen_provider) t
         where n > 1`);
      await q("create index on gen_range (lo)");
      await q("analyze gen_provider, gen_range");
    });

    await step("patients", async () => {
      await q(`
        create temp table gen_patient on commit drop as
        select n, md5('carebase-bench-patient-' || n)::uuid as id, random() as r_att, random() as r_extra, random() as r_pick
          from generate_series(1, ${SCALE.patients}) n`);
      // The attending: provider #1 for the first 120 patients, a weighted draw for the rest.
      await q(`
        alter table gen_patient add column attending uuid;
        update gen_patient g set attending = case when g.n <= 120 then ${providerIdSql("1")}
          else (select r.id from gen_range r where r.lo <= g.r_att order by r.lo desc limit 1) end;
        analyze gen_patient`);
      await q(`
        insert into public.patients (id, created_by, first_name, last_name, date_of_birth, gender, blood_type, allergies,
                                     emergency_contact, address, insurance, mrn, created_at, updated_at)
        select id, attending,
               (array['Olivia','Liam','Emma','Noah','Amelia','Oliver','Ava','Elijah','Sophia','Lucas','Mia','Mateo','Isabella','Levi','Aria','Wei','Priya','Kofi','Yuki','Sven'])[1 + (n * 7) % 20],
               (array['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez','Hernandez','Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson','Martin',
                      'Lee','Perez','Thompson','White','Harris','Sanchez','Clark','Ramirez','Lewis','Robinson','Walker','Young','Allen','King','Wright','Scott','Torres','Nguyen','Hill','Flores'])[1 + (n * 13) % 40]
                 || '-' || (n % 97),
               date '1930-01-01' + (random() * 33000)::int,
               (array['female','male','other','unknown'])[1 + (case when r_pick < 0.49 then 0 when r_pick < 0.97 then 1 when r_pick < 0.99 then 2 else 3 end)],
               (array['A+','A-','B+','B-','AB+','AB-','O+','O-'])[1 + n % 8],
               case when n % 5 = 0 then array['penicillin'] when n % 7 = 0 then array['latex','peanuts'] else '{}' end,
               jsonb_build_object('name', 'Contact ' || n, 'phone', '+1-555-' || lpad((n % 10000)::text, 4, '0')),
               n || ' Bench Street, Springfield',
               jsonb_build_object('provider', 'Bench Mutual', 'member_id', 'BM' || n),
               'BMRN-' || lpad(n::text, 7, '0'),
               now() - interval '5 years', now() - interval '5 years'
          from gen_patient
         order by n`);
    });

    await step("care_team", async () => {
      await q(`
        insert into public.care_team (patient_id, provider_id, role, added_by)
        select id, attending, 'attending', attending from gen_patient`);
      // About half the patients also have a nurse or specialist (weighted draw, never #1).
      await q(`
        insert into public.care_team (patient_id, provider_id, role, added_by)
        select g.id, (select r.id from gen_range r where r.lo <= g.r_pick order by r.lo desc limit 1),
               case when g.n % 5 < 3 then 'nurse' else 'specialist' end, md5('carebase-bench-admin')::uuid
          from gen_patient g
         where g.r_extra < 0.5
        on conflict (patient_id, provider_id) do nothing`);
      // The bench provider's other 80 teams (as nurse or specialist): 200 in all.
      await q(`
        insert into public.care_team (patient_id, provider_id, role, added_by)
        select g.id, ${providerIdSql("1")}, case when g.n % 2 = 0 then 'nurse' else 'specialist' end, md5('carebase-bench-admin')::uuid
          from gen_patient g
         where g.n between 50001 and ${50000 + SCALE.benchProviderPatients - 120}`);
    });

    await step(`visits (${SCALE.visitsPerPatient} per patient)`, async () => {
      await q(`
        insert into public.visits (id, patient_id, provider_id, visit_date, chief_complaint, diagnosis, notes, vitals, created_at, updated_at)
        select md5('carebase-bench-visit-' || g.n || '-' || k)::uuid, g.id, g.attending,
               now() - make_interval(days => (k - 1) * 180 + (random() * 170)::int, mins => (random() * 600)::int),
               (array['Headache','Cough','Chest pain','Back pain','Fatigue','Fever','Rash','Dizziness','Follow-up','Annual check-up'])[1 + (g.n + k) % 10],
               (array['Tension headache','Acute bronchitis','Hypertension','Lumbar strain','Iron deficiency anaemia','Influenza','Contact dermatitis','Benign positional vertigo','Type 2 diabetes','Healthy'])[1 + (g.n * 3 + k) % 10],
               'Seen in clinic. Plan discussed with the patient.',
               jsonb_build_object('heart_rate', 55 + (random() * 45)::int, 'bp_systolic', 100 + (random() * 50)::int),
               now() - interval '1 day', now() - interval '1 day'
          from gen_patient g cross join generate_series(1, ${SCALE.visitsPerPatient}) k
         order by g.n, k`);
    });

    await step(`prescriptions (${SCALE.prescriptionsPerPatient} per patient)`, async () => {
      await q(`
        insert into public.prescriptions (id, visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date, end_date, is_active, created_at, updated_at)
        select md5('carebase-bench-rx-' || g.n || '-' || k)::uuid,
               case when k % 4 = 0 then null
                    else md5('carebase-bench-visit-' || g.n || '-' || (1 + (k - 1) % ${SCALE.visitsPerPatient}))::uuid end,
               g.id, g.attending,
               (array['Amoxicillin','Lisinopril','Metformin','Atorvastatin','Omeprazole','Levothyroxine','Amlodipine','Salbutamol','Sertraline','Ibuprofen'])[1 + (g.n + k * 7) % 10],
               (array['5 mg','10 mg','20 mg','250 mg','500 mg','1 puff'])[1 + k % 6],
               (array['once daily','twice daily','three times daily','as needed'])[1 + (g.n + k) % 4],
               current_date - (k * 90 + 30),
               case when active then null else current_date - (k * 90) end,
               active,
               now() - interval '1 day', now() - interval '1 day'
          from gen_patient g
         cross join lateral (select k, random() < 0.25 as active from generate_series(1, ${SCALE.prescriptionsPerPatient}) k) x
         order by g.n, k`);
    });

    // what the visits' counter triggers (0940), disabled for the load, would have kept
    await step("vitals_counts (visit vital signs)", async () => {
      await q(`
        insert into public.vitals_counts as c (patient_id, metric, samples, visit_vitals)
        select vi.patient_id, m.metric, 0, count(*)
          from public.visits vi cross join lateral app.visit_vital_metrics(vi.vitals) as m(metric)
         group by 1, 2
        on conflict (patient_id, metric) do update set visit_vitals = c.visit_vitals + excluded.visit_vitals`);
    });

    await step("re-enable user triggers, commit", async () => {
      for (const t of LOADED_TABLES) await q(`alter table ${t} enable trigger user`);
      for (const t of LOADED_TABLES) await q(`alter table ${t} force row level security`);
      await q("commit");
    });
  } catch (e) {
    await c.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

async function ensureDatabase(url: string, fresh: boolean, say: (line: string) => void): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Unexpected bench database name "${name}".`);
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: maintenance.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (rowCount && fresh) {
      say(`dropping ${name} (--fresh)`);
      await admin.query(`drop database ${name} with (force)`);
    }
    if (!rowCount || fresh) {
      say(`creating database ${name}`);
      await admin.query(`create database ${name}`);
    }
  } finally {
    await admin.end();
  }
}

async function countRows(db: Database): Promise<Counts> {
  // as the service identity: RLS is forced (0510), so this login alone would count nothing
  const c = await db.pool.connect();
  let r: Record<keyof Counts, string>;
  try {
    await c.query("begin");
    await becomeService(c, "bench: count the generated rows");
    r = (await c.query<Record<keyof Counts, string>>(`
      select (select count(*) from public.providers) as providers,
             (select count(*) from public.patients) as patients,
             (select count(*) from public.care_team) as care_team,
             (select count(*) from public.visits) as visits,
             (select count(*) from public.prescriptions) as prescriptions`)).rows[0];
    await c.query("commit");
  } finally {
    c.release();
  }
  return {
    providers: Number(r.providers),
    patients: Number(r.patients),
    care_team: Number(r.care_team),
    visits: Number(r.visits),
    prescriptions: Number(r.prescriptions),
  };
}

function isLoaded(c: Counts): boolean {
  return (
    c.providers === SCALE.providers &&
    c.patients === SCALE.patients &&
    c.visits === SCALE.patients * SCALE.visitsPerPatient &&
    c.prescriptions === SCALE.patients * SCALE.prescriptionsPerPatient &&
    c.care_team >= SCALE.patients
  );
}

async function benchProviderId(db: Database): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(`select ${providerIdSql("1")}::text as id`);
  return rows[0].id;
}

const formatCounts = (c: Counts) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`)
    .join(", ");

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const urlIndex = args.indexOf("--url");
  const result = await generate({ fresh: args.includes("--fresh"), url: urlIndex >= 0 ? args[urlIndex + 1] : undefined });
  console.log(JSON.stringify({ ...result, url: redact(result.url) }, null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
