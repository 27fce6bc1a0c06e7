/**
 * npm run bench:ingest — wearable ingestion throughput.
 *
 * Samples per second accepted through the HTTP route handler (POST /api/v1/vitals with
 * a device token: JSON parsing, validation of every sample, withDevice under RLS, one
 * INSERT ... SELECT FROM unnest ... ON CONFLICT DO NOTHING) in batches of 500, against a
 * raw multi-row INSERT of the same rows on the service path (the same begin, claims,
 * insert, commit; a policy that passes every row; no validation, no HTTP), in the same run
 * on the same database. Triggers (audit, change capture) fire in
 * both. Goal: the API reaches at least 50% of the raw rate.
 *
 * PostgreSQL database carebase_bench_ingest from BENCH_PG_URL (default
 * postgres://carebase_app@127.0.0.1:5432/postgres), dropped afterwards; `--pglite` runs
 * on an in-memory PGlite instead.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

process.env.LOG_LEVEL ??= "silent";
process.env.CAREBASE_SECRET ??= randomBytes(32).toString("hex");

const { openDatabase } = await import("../src/core/db/engine");
const { migrate } = await import("../src/core/db/migrate");
const { useDatabase, closeDatabase } = await import("../src/core/db/index");
const { sha256Hex } = await import("../src/core/auth/tokens");
const { becomeService } = await import("../src/core/db/with-user");
const { POST } = await import("../src/app/api/v1/vitals/route");

const usePglite = process.argv.includes("--pglite");
const ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://carebase_app@127.0.0.1:5432/postgres";
const DB_NAME = "carebase_bench_ingest";
const BATCH = 500;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 40);

async function admin(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

interface Sample {
  metric: string;
  value: number;
  unit: string;
  recorded_at: string;
}

/** Heart rate every 5 s and a step count every minute, like a watch syncing its backlog. */
function batches(start: number): Sample[][] {
  const out: Sample[][] = [];
  let t = start;
  for (let b = 0; b < BATCHES; b++) {
    const batch: Sample[] = [];
    while (batch.length < BATCH) {
      t += 5000;
      batch.push({ metric: "heart_rate", value: 55 + Math.round(Math.random() * 40), unit: "bpm", recorded_at: new Date(t).toISOString() });
      if (t % 60_000 < 5000 && batch.length < BATCH) {
        batch.push({ metric: "steps", value: Math.round(Math.random() * 120), unit: "count", recorded_at: new Date(t).toISOString() });
      }
    }
    out.push(batch);
  }
  return out;
}

async function main(): Promise<void> {
  let db;
  if (usePglite) {
    db = await openDatabase({ pgliteDir: "memory://" });
  } else {
    await admin(`drop database if exists ${DB_NAME} with (force)`);
    await admin(`create database ${DB_NAME}`);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${DB_NAME}`;
    db = await openDatabase({ url: url.toString(), poolMax: 4 });
  }
  await migrate(db.pool);
  useDatabase(db);

  // Every table's RLS is forced (0510): the seed and the raw path go through the service path.
  // (a client held only while used: PGlite's pool is one connection, which the API path needs too)
  const service = await db.pool.connect();
  await service.query("begin");
  await becomeService(service, "bench:ingest seeding");
  const { rows: [user] } = await service.query<{ id: string }>(
    `insert into auth.users (email, role, full_name, password_hash) values ('bench-ingest@example.test', 'provider', 'Bench', 'x') returning id`,
  );
  await service.query(`insert into public.providers (user_id, license_number, specialty, is_verified, verified_at) values ($1, 'LIC-1', 'x', true, now())`, [user.id]);
  const { rows: [patient] } = await service.query<{ id: string }>(
    `insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, mrn) values ($1, 'Bench', 'Ingest', '1970-01-01', 'unknown', 'BENCH-ING') returning id`,
    [user.id],
  );
  const apiToken = `cbd_${randomBytes(32).toString("base64url")}`;
  const { rows: devices } = await service.query<{ id: string }>(
    `insert into public.devices (patient_id, name, token_hash) values ($1, 'api watch', $2), ($1, 'raw watch', $3) returning id`,
    [patient.id, sha256Hex(apiToken), sha256Hex(randomBytes(16).toString("hex"))],
  );
  await service.query("commit");
  service.release();
  const rawDevice = devices[1].id;

  const start = Date.now() - 30 * 24 * 3600 * 1000;
  const data = batches(start);
  const total = data.reduce((n, b) => n + b.length, 0);

  const viaApi = async (batch: Sample[]) => {
    const res = await POST(
      new Request("http://localhost/api/v1/vitals", {
        method: "POST",
        headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
        body: JSON.stringify({ samples: batch }),
      }),
    );
    if (res.status !== 202) throw new Error(`API answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { accepted: number }).accepted;
  };
  const viaRaw = async (batch: Sample[]) => {
    const params: unknown[] = [];
    const tuples = batch.map((s) => {
      params.push(patient.id, rawDevice, s.metric, s.value, s.unit, s.recorded_at);
      const n = params.length;
      return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
    });
    // the same transaction shape as the API's (begin, claims, insert, commit), as service_role
    const client = await db.pool.connect();
    try {
      await client.query("begin");
      await becomeService(client, "bench:ingest raw insert");
      const r = await client.query(`insert into public.vitals (patient_id, device_id, metric, value, unit, recorded_at) values ${tuples.join(", ")}`, params);
      await client.query("commit");
      return r.rowCount ?? 0;
    } finally {
      client.release();
    }
  };

  // Warm up both paths on rows outside the measured set.
  const warm = batches(start - 365 * 24 * 3600 * 1000).slice(0, 3);
  for (const b of warm) await viaApi(b);
  for (const b of warm) await viaRaw(b);

  // Interleave the two so that neither gets a warmer cache or a bigger table.
  let apiMs = 0;
  let rawMs = 0;
  let apiRows = 0;
  let rawRows = 0;
  for (const b of data) {
    let t = performance.now();
    apiRows += await viaApi(b);
    apiMs += performance.now() - t;
    t = performance.now();
    rawRows += await viaRaw(b);
    rawMs += performance.now() - t;
  }
  // Re-sending a batch: all duplicates, nothing stored.
  const dupStart = performance.now();
  await viaApi(data[0]);
  const dupMs = performance.now() - dupStart;

  const apiRate = apiRows / (apiMs / 1000);
  const rawRate = rawRows / (rawMs / 1000);
  console.log("");
  console.log(`bench:ingest (${usePglite ? "PGlite" : "PostgreSQL"}, ${BATCHES} batches of ${BATCH} = ${total} samples per path)`);
  console.log(`  HTTP handler (device token, validated, RLS)   ${apiRate.toFixed(0)} samples/s  (${(apiMs / BATCHES).toFixed(1)} ms per batch, ${apiRows} stored)`);
  console.log(`  raw multi-row INSERT (service path, no checks) ${rawRate.toFixed(0)} samples/s  (${(rawMs / BATCHES).toFixed(1)} ms per batch, ${rawRows} stored)`);
  console.log(`  API / raw                                     ${((100 * apiRate) / rawRate).toFixed(0)}%  (goal >= 50%)`);
  console.log(`  re-sent batch of ${BATCH} (all duplicates)          ${dupMs.toFixed(1)} ms`);

  await closeDatabase();
  if (!usePglite) await admin(`drop database if exists ${DB_NAME} with (force)`);
}

await main();
