/**
 * bench:smart (issue #17): SMART on FHIR in one run.
 *
 *   1. the token endpoint's p50 and p95: the refresh grant (rotation, what a connected app
 *      does every hour) and the authorization-code exchange (once per connection, PKCE
 *      checked), over HTTP against the OAuth server as server.ts mounts it;
 *   2. FHIR read throughput with a SMART token (patient/*.rs, patient context) against the
 *      same user's own session token, rounds alternating, through the route handlers:
 *      GET /fhir/R4/Patient/{id} and GET /fhir/R4/Observation?_count=50 (goal: SMART ≥ 0.9×).
 *
 *   npm run bench:smart                 PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL,
 *                                       default postgres://carebase_app@127.0.0.1:5432/postgres;
 *                                       a throw-away database)
 *   npm run bench:smart -- --pglite     the embedded engine
 *   BENCH_SECONDS=3 (per kind and round), BENCH_TOKENS=60 (timed token requests per grant type)
 */
import os from "node:os";
import { sql } from "kysely";
import { useDatabase } from "@/core/db";
import { asService } from "@/core/db/with-user";
import { openMigratedDatabase } from "../scripts/lib/migrated-database";
import * as fhirRoute from "@/app/fhir/R4/[...path]/route";
import { addToCareTeam, createPatient, createUser } from "../tests/support/seed";
import { APP_REDIRECT, authorize, connect, pkcePair, registerTestApp, startSmartServer, tokenRequest } from "../tests/smart/support";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 60);
const ROUNDS = 3;
const pglite = process.argv.includes("--pglite");
const SERVER = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://carebase_app@127.0.0.1:5432/postgres";

type Handler = (req: Request, ctx: { params: Promise<unknown> }) => Promise<Response>;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

async function main(): Promise<void> {
  const { db, drop } = await openMigratedDatabase(pglite ? "pglite" : "postgresql", { serverUrl: SERVER, poolMax: 2, prefix: "carebase_bench_smart" });
  useDatabase(db);
  const server = await startSmartServer();
  try {
    const admin = await createUser("admin");
    const doctor = await createUser("provider");
    const patientUser = await createUser("patient");
    const patientId = await createPatient({ createdBy: doctor.id, userId: patientUser.id });
    await addToCareTeam(patientId, doctor.id, "attending");
    await asService("bench seeding", (tx) =>
      sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, diagnosis, vitals)
          select ${patientId}, ${doctor.id}, now() - make_interval(days => g), 'Follow-up ' || g, 'Hypertension',
                 jsonb_build_object('blood_pressure', '128/84', 'heart_rate', 70 + g % 10, 'temperature_c', 36.8, 'spo2', 97)
            from generate_series(1, 30) g`.execute(tx));
    const clientId = (await registerTestApp(admin.session)).app.client_id;
    if (pglite) await db.pool.query("reset role");
    await db.pool.query("vacuum analyze");
    if (pglite) await db.pool.query("set role app_runtime");

    // 1. the token endpoint
    let { refresh_token: refresh } = await connect(server.origin, patientUser, clientId, "launch/patient patient/*.rs offline_access");
    const refreshMs: number[] = [];
    for (let i = 0; i < TOKENS + 5; i++) {
      const t0 = performance.now();
      const r = await tokenRequest(server.origin, { grant_type: "refresh_token", refresh_token: refresh!, client_id: clientId });
      if (i >= 5) refreshMs.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`refresh: ${r.status} ${JSON.stringify(r.body)}`);
      refresh = r.body.refresh_token;
    }
    const codeMs: number[] = [];
    for (let i = 0; i < Math.max(10, Math.round(TOKENS / 3)); i++) {
      const { challenge, verifier } = pkcePair();
      const a = await authorize(server.origin, patientUser, { clientId, scope: "launch/patient patient/*.rs", challenge });
      const code = a.location!.searchParams.get("code")!;
      const t0 = performance.now();
      const r = await tokenRequest(server.origin, { grant_type: "authorization_code", code, redirect_uri: APP_REDIRECT, client_id: clientId, code_verifier: verifier });
      codeMs.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`code: ${r.status}`);
    }

    // 2. FHIR reads: SMART token vs the user's own session token
    const smart = (await connect(server.origin, patientUser, clientId, "launch/patient patient/*.rs")).access_token;
    const get = async (token: string, url: string, params: unknown) => {
      const res = await (fhirRoute.GET as unknown as Handler)(new Request(url, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve(params) });
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
    };
    const patientUrl = `http://localhost/fhir/R4/Patient/${patientId}`;
    const obsUrl = "http://localhost/fhir/R4/Observation?_count=50";
    const kinds: Record<string, () => Promise<void>> = {
      "Patient read, session token": () => get(patientUser.accessToken, patientUrl, { path: ["Patient", patientId] }),
      "Patient read, SMART token  ": () => get(smart, patientUrl, { path: ["Patient", patientId] }),
      "Observation search, session token": () => get(patientUser.accessToken, `${obsUrl}&patient=${patientId}`, { path: ["Observation"] }),
      "Observation search, SMART token  ": () => get(smart, obsUrl, { path: ["Observation"] }),
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
    const rps = (k: string) => counts[k] / (times[k] / 1000);
    const engine = pglite ? "PGlite" : "PostgreSQL";
    console.log(`bench:smart on ${engine}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
    console.log(`  token endpoint, refresh grant (rotation): p50 ${pct(refreshMs, 0.5).toFixed(1)} ms, p95 ${pct(refreshMs, 0.95).toFixed(1)} ms over ${refreshMs.length}`);
    console.log(`  token endpoint, code exchange (PKCE):     p50 ${pct(codeMs, 0.5).toFixed(1)} ms, p95 ${pct(codeMs, 0.95).toFixed(1)} ms over ${codeMs.length}`);
    console.log(`  FHIR reads, ${ROUNDS} rounds of ${SECONDS} s per kind, sequential requests:`);
    const keys = Object.keys(kinds);
    for (let i = 0; i < keys.length; i += 2) {
      console.log(`    ${keys[i]}: ${rps(keys[i]).toFixed(0)} req/s`);
      console.log(`    ${keys[i + 1]}: ${rps(keys[i + 1]).toFixed(0)} req/s  (${(rps(keys[i + 1]) / rps(keys[i])).toFixed(2)}x the session token; goal >= 0.9x)`);
    }
  } finally {
    await server.close();
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
