/**
 * bench:fhir (issue #16): the FHIR read side against the JSON API, in one run, through the
 * route handlers (authentication, RLS, audit records, serialisation; no network):
 *
 *   1. throughput, rounds alternating: GET /api/v1/patients/{id} (the JSON chart read),
 *      GET /fhir/R4/Patient/{id}, GET /fhir/R4/Observation?patient={id}&_count=50
 *      (goal: each FHIR read ≥ 0.8× the chart read's requests/s); and, for scale, the JSON
 *      API's read of 50 samples (GET /api/v1/patients/{id}/vitals, raw), a list of about the
 *      Observation page's size, which the Observation search is also compared with;
 *   2. GET /fhir/R4/Patient/{id}/$everything for a patient with 100 visits (7 vital signs
 *      each), 200 prescriptions and 10,000 wearable samples: p50 and p95 (goal: p50 ≤ 150 ms).
 *
 *   npm run bench:fhir                 PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL,
 *                                      default postgres://carebase_app@127.0.0.1:5432/postgres;
 *                                      a throw-away database)
 *   npm run bench:fhir -- --pglite     the embedded engine
 *   BENCH_SECONDS=3 (per kind and round), BENCH_EVERYTHING=30 (timed $everything calls)
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { sql } from "kysely";
import { useDatabase } from "@/core/db";
import { openMigratedDatabase } from "../scripts/lib/migrated-database";
import { asService } from "@/core/db/with-user";
import { startSession } from "@/core/auth/start-session";
import * as patientRoute from "@/app/api/v1/patients/[id]/route";
import * as vitalsRoute from "@/app/api/v1/patients/[id]/vitals/route";
import * as fhirRoute from "@/app/fhir/R4/[...path]/route";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const EVERYTHING = Number(process.env.BENCH_EVERYTHING ?? 30);
const ROUNDS = 3;
const pglite = process.argv.includes("--pglite");
const SERVER = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://carebase_app@127.0.0.1:5432/postgres";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

type Handler = (req: Request, ctx: { params: Promise<unknown> }) => Promise<Response>;

async function seed(): Promise<{ token: string; patientId: string }> {
  return asService("bench seeding", async (tx) => {
    const { id: providerId } = await tx
      .insertInto("auth.users")
      .values({ email: `bench-${randomBytes(4).toString("hex")}@example.test`, password_hash: "!", role: "provider", full_name: "Bench Doctor" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await tx.insertInto("providers").values({ user_id: providerId, credential: "physician", license_number: "LIC-1", specialty: "Family medicine", is_verified: true, verified_at: new Date() }).execute();
    const { rows } = await sql<{ id: string }>`
      insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, allergies)
      values (${providerId}, 'Pat', 'Ient', '1970-01-01', 'female', ${["penicillin", "latex"]}) returning id`.execute(tx);
    const patientId = rows[0].id;
    await sql`insert into public.care_team (patient_id, provider_id, role) values (${patientId}, ${providerId}, 'attending') on conflict do nothing`.execute(tx);
    await sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, diagnosis, vitals)
      select ${patientId}, ${providerId}, now() - make_interval(days => g), 'Follow-up ' || g, 'Hypertension',
             jsonb_build_object('blood_pressure', '128/84', 'heart_rate', 70 + g % 10, 'temperature_c', 36.8, 'spo2', 97,
                                'weight_kg', 80.5, 'respiratory_rate', 14, 'height_cm', 178)
        from generate_series(1, 100) g`.execute(tx);
    await sql`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
      select ${patientId}, ${providerId}, 'Drug ' || g, '10 mg', 'once daily', current_date - g from generate_series(1, 200) g`.execute(tx);
    const { id: deviceId } = await tx.insertInto("devices").values({ patient_id: patientId, name: "Bench watch", token_hash: randomBytes(32).toString("hex") }).returning("id").executeTakeFirstOrThrow();
    await sql`insert into public.vitals (patient_id, device_id, metric, value, unit, recorded_at)
      select ${patientId}, ${deviceId}, case when g % 2 = 0 then 'heart_rate' else 'steps' end,
             case when g % 2 = 0 then 60 + g % 40 else g % 500 end, case when g % 2 = 0 then 'bpm' else 'count' end,
             now() - make_interval(mins => g)
        from generate_series(1, 10000) g`.execute(tx);
    // the rest of the clinic: 40 other patients with 1,000 samples and 20 visits each (a table of one patient plans like no clinic's)
    await sql`with others as (
        insert into public.patients (created_by, first_name, last_name, date_of_birth, gender)
        select ${providerId}, 'Other', 'Patient ' || g, '1980-01-01', 'male' from generate_series(1, 40) g returning id),
      their_visits as (
        insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, vitals)
        select o.id, ${providerId}, now() - make_interval(days => g * 7), 'Check-up', jsonb_build_object('heart_rate', 72, 'blood_pressure', '118/76')
          from others o cross join generate_series(1, 20) g)
      insert into public.vitals (patient_id, metric, value, unit, recorded_at, recorded_by)
      select o.id, 'heart_rate', 60 + g % 40, 'bpm', now() - make_interval(mins => g), ${providerId}
        from others o cross join generate_series(1, 1000) g`.execute(tx);
    const s = await startSession(tx, { id: providerId, role: "provider" }, "aal1", {});
    return { token: s.tokens.access_token, patientId };
  });
}

async function main(): Promise<void> {
  const { db, drop } = await openMigratedDatabase(pglite ? "pglite" : "postgresql", { serverUrl: SERVER, poolMax: 2, prefix: "carebase_bench_fhir" });
  useDatabase(db);
  try {
    const { token, patientId } = await seed();
    // a clinic's database has planner statistics and a visibility map (autovacuum); a freshly seeded one has neither
    if (pglite) await db.pool.query("reset role");
    await db.pool.query("vacuum analyze");
    if (pglite) await db.pool.query("set role app_runtime");
    const headers = { authorization: `Bearer ${token}` };
    const get = async (handler: Handler, url: string, params: unknown) => {
      const res = await handler(new Request(url, { headers }), { params: Promise.resolve(params) });
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
      return body.byteLength;
    };
    // the JSON API's read of 50 samples (the patient's latest 50 heart-rate readings): a list of
    // about the Observation page's size, beside the one-row chart read the goal names
    const window = await asService("bench window", (tx) =>
      sql<{ from: string; to: string }>`select to_char(min(recorded_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "from",
          to_char(max(recorded_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "to"
        from (select recorded_at from public.vitals where patient_id = ${patientId} and metric = 'heart_rate' order by recorded_at desc limit 50) s`.execute(tx),
    ).then((r) => r.rows[0]);
    const vitalsUrl = `http://localhost/api/v1/patients/${patientId}/vitals?metric=heart_rate&bucket=raw&from=${window.from}&to=${window.to}`;
    const kinds: Record<string, () => Promise<number>> = {
      "JSON chart read   GET /api/v1/patients/{id}": () => get(patientRoute.GET as unknown as Handler, `http://localhost/api/v1/patients/${patientId}`, { id: patientId }),
      "JSON list of 50 samples GET /api/v1/patients/{id}/vitals": () => get(vitalsRoute.GET as unknown as Handler, vitalsUrl, { id: patientId }),
      "FHIR Patient read GET /fhir/R4/Patient/{id}": () => get(fhirRoute.GET as unknown as Handler, `http://localhost/fhir/R4/Patient/${patientId}`, { path: ["Patient", patientId] }),
      "FHIR Observation search ?patient=&_count=50": () =>
        get(fhirRoute.GET as unknown as Handler, `http://localhost/fhir/R4/Observation?patient=${patientId}&_count=50`, { path: ["Observation"] }),
      "  the same, _total=none (no count)": () =>
        get(fhirRoute.GET as unknown as Handler, `http://localhost/fhir/R4/Observation?patient=${patientId}&_count=50&_total=none`, { path: ["Observation"] }),
      "  the same, code=8867-4 (heart rate)": () =>
        get(fhirRoute.GET as unknown as Handler, `http://localhost/fhir/R4/Observation?patient=${patientId}&code=8867-4&_count=50`, { path: ["Observation"] }),
    };
    for (const fn of Object.values(kinds)) for (let i = 0; i < 30; i++) await fn(); // warm-up
    const counts: Record<string, number> = Object.fromEntries(Object.keys(kinds).map((k) => [k, 0]));
    const times: Record<string, number> = Object.fromEntries(Object.keys(kinds).map((k) => [k, 0]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, fn] of Object.entries(kinds)) {
        const t0 = performance.now();
        while (performance.now() - t0 < SECONDS * 1000) {
          await fn();
          counts[name]++;
        }
        times[name] += performance.now() - t0;
      }
    }
    const engine = pglite ? "PGlite" : "PostgreSQL";
    console.log(`bench:fhir on ${engine}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; ${ROUNDS} rounds of ${SECONDS} s per kind, sequential requests`);
    const base = counts[Object.keys(kinds)[0]] / (times[Object.keys(kinds)[0]] / 1000);
    const rate = (name: string) => counts[name] / (times[name] / 1000);
    for (const name of Object.keys(kinds)) {
      const rps = rate(name);
      console.log(`  ${name}: ${rps.toFixed(0)} req/s  (${(rps / base).toFixed(2)}x the JSON chart read)`);
    }
    const list = rate(Object.keys(kinds)[1]);
    console.log(`  Observation search (50 resources) against the JSON list of 50 samples: ${(rate(Object.keys(kinds)[3]) / list).toFixed(2)}x` +
      `; with _total=none ${(rate(Object.keys(kinds)[4]) / list).toFixed(2)}x; code=8867-4 ${(rate(Object.keys(kinds)[5]) / list).toFixed(2)}x`);
    const url = `http://localhost/fhir/R4/Patient/${patientId}/$everything`;
    let bytes = 0;
    for (let i = 0; i < 3; i++) bytes = await get(fhirRoute.GET as unknown as Handler, url, { path: ["Patient", patientId, "$everything"] });
    const lat: number[] = [];
    for (let i = 0; i < EVERYTHING; i++) {
      const t0 = performance.now();
      await get(fhirRoute.GET as unknown as Handler, url, { path: ["Patient", patientId, "$everything"] });
      lat.push(performance.now() - t0);
    }
    console.log(`  $everything (100 visits, 700 visit vitals, 200 prescriptions, 10,000 samples; ${(bytes / 1e6).toFixed(1)} MB): p50 ${pct(lat, 0.5).toFixed(0)} ms, p95 ${pct(lat, 0.95).toFixed(0)} ms over ${EVERYTHING} calls (goal p50 <= 150 ms)`);
  } finally {
    await drop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
