/**
 * What the session rules in the database cost (issue #12): withUser's first statement now
 * also calls auth.enter_session (the session row: live, not pending, aal2 for admins), and
 * staged read records pass a trigger that strips the service path's marks from callers'
 * details. Measured in one run, paired round by round so the machine's load drifts out:
 *
 *   1. a provider's transaction as withUser ran it before (claims + role, one chart read)
 *      vs the same with auth.enter_session in the first statement (withUser today);
 *   2. an audited chart read (app.stage_read) with the staging trigger off vs on.
 *
 *   npm run bench:session-rules                 PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL,
 *                                               default postgres://carebase_app@127.0.0.1:5432/postgres;
 *                                               a throw-away database)
 *   npm run bench:session-rules -- --pglite     the embedded engine
 *   BENCH_ROUNDS=40 BENCH_PER_ROUND=50
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { sql } from "kysely";
import { useDatabase, closeDatabase } from "@/core/db";
import { openMigratedDatabase } from "../scripts/lib/migrated-database";
import { asService, type Tx } from "@/core/db/with-user";
import { startSession } from "@/core/auth/start-session";
import { staffIdleMinutes } from "@/core/auth/staff-idle";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 50);
const pglite = process.argv.includes("--pglite");
const SERVER = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://carebase_app@127.0.0.1:5432/postgres";

const open = () => openMigratedDatabase(pglite ? "pglite" : "postgresql", { serverUrl: SERVER, poolMax: 2, prefix: "carebase_bench_sr" });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function main(): Promise<void> {
  const { db, drop } = await open();
  useDatabase(db);
  try {
    const { session, patientId } = await asService("bench seeding", async (tx) => {
      const { id } = await tx
        .insertInto("auth.users")
        .values({ email: `bench-${randomBytes(4).toString("hex")}@example.test`, password_hash: "!", role: "provider", full_name: "Bench Doctor" })
        .returning("id")
        .executeTakeFirstOrThrow();
      await tx.insertInto("providers").values({ user_id: id, license_number: "LIC-1", specialty: "Family medicine", is_verified: true, verified_at: new Date() }).execute();
      const { rows } = await sql<{ id: string }>`
        insert into public.patients (created_by, first_name, last_name, date_of_birth, gender)
        values (${id}, 'Pat', 'Ient', '1970-01-01', 'female') returning id`.execute(tx);
      const s = await startSession(tx, { id, role: "provider" }, "aal1", {});
      return { session: s.session, patientId: rows[0].id };
    });
    const claims = JSON.stringify({ sub: session.userId, role: "authenticated", app_role: "provider", session_id: session.sessionId, aal: "aal1" });
    const read = (tx: Tx, audited: boolean) =>
      audited
        ? sql`select id, first_name, app.stage_read('patient_chart', array[id], array[id::text], null) from public.patients where id = ${patientId}`.execute(tx)
        : sql`select id, first_name from public.patients where id = ${patientId}`.execute(tx);
    const withoutCheck = (audited = false) =>
      db.kysely.transaction().execute(async (tx) => {
        await sql`select set_config('request.jwt.claims', ${claims}, true), set_config('request.id', '', true),
                         set_config('request.ip', '', true), set_config('request.user_agent', '', true),
                         set_config('role', 'authenticated', true)`.execute(tx);
        await read(tx, audited);
      });
    const withCheck = (audited = false) =>
      db.kysely.transaction().execute(async (tx) => {
        await sql`select set_config('request.jwt.claims', ${claims}, true), set_config('request.id', '', true),
                         set_config('request.ip', '', true), set_config('request.user_agent', '', true),
                         auth.enter_session(${session.sessionId}::uuid, ${session.userId}::uuid, 'authenticated', ${staffIdleMinutes()}),
                         set_config('role', 'authenticated', true)`.execute(tx);
        await read(tx, audited);
      });
    const trigger = (on: boolean) =>
      db.pool.connect().then(async (c) => {
        try {
          if (db.kind === "pglite") await c.query("reset role");
          await c.query(`alter table app.audit_read_stage ${on ? "enable" : "disable"} trigger audit_read_stage_caller_details`);
        } finally {
          if (db.kind === "pglite") await c.query("set role app_runtime");
          c.release();
        }
      });
    const time = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      for (let i = 0; i < PER_ROUND; i++) await fn();
      return ((performance.now() - t0) / PER_ROUND) * 1000; // µs per transaction
    };
    // warm-up
    for (let i = 0; i < 200; i++) {
      await withoutCheck();
      await withCheck(true);
    }
    const a: number[] = [], b: number[] = [], off: number[] = [], on: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      a.push(await time(() => withoutCheck()));
      b.push(await time(() => withCheck()));
      await trigger(false);
      off.push(await time(() => withCheck(true)));
      await trigger(true);
      on.push(await time(() => withCheck(true)));
    }
    const ratio = (x: number[], y: number[]) => median(x.map((v, i) => v / y[i]));
    console.log(`engine: ${db.kind}; ${ROUNDS} rounds × ${PER_ROUND} transactions; load average ${os.loadavg()[0].toFixed(1)}`);
    console.log(`  withUser transaction, one chart row, without the session check   median ${median(a).toFixed(0)} µs`);
    console.log(`  the same with auth.enter_session (withUser today)               median ${median(b).toFixed(0)} µs   paired ratio ${ratio(b, a).toFixed(3)} (+${(median(b) - median(a)).toFixed(0)} µs)`);
    console.log(`  audited chart read, staging trigger off                          median ${median(off).toFixed(0)} µs`);
    console.log(`  audited chart read, staging trigger on (today)                   median ${median(on).toFixed(0)} µs   paired ratio ${ratio(on, off).toFixed(3)} (+${(median(on) - median(off)).toFixed(0)} µs)`);
  } finally {
    await closeDatabase().catch(() => {});
    await drop();
  }
}

await main();
