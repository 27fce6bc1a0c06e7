/**
 * What the allergy check costs on prescription create (issue #15, item 2; goal: p50 ≤ 2 ms
 * added). Measured in one run, alternating create by create so the machine's load drifts out:
 *
 *   1. createPrescription as shipped: reads the patient's allergies, runs the class matcher
 *      (src/core/clinical/allergy-conflicts.ts), inserts, reads the row back;
 *   2. the same create without the check, as it was before 0610 (the patient's id instead of
 *      its allergies, no matcher), written out here;
 *   3. the matcher alone (no database).
 *
 * The patient has four allergies and the drug matches none (the common path).
 *
 *   npm run bench:prescribing                 PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL,
 *                                             default postgres://carebase_app@127.0.0.1:5432/postgres;
 *                                             a throw-away database)
 *   npm run bench:prescribing -- --pglite     the embedded engine
 *   BENCH_CREATES=600
 */
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import { sql } from "kysely";
import { useDatabase, closeDatabase } from "@/core/db";
import { openMigratedDatabase } from "../scripts/lib/migrated-database";
import { asService, withUser } from "@/core/db/with-user";
import { startSession } from "@/core/auth/start-session";
import { createPrescription, findVisiblePrescription } from "@/core/clinical/prescriptions";
import { assertPatientVisible } from "@/core/clinical/patients";
import { findAllergyConflicts } from "@/core/clinical/allergy-conflicts";

const CREATES = Number(process.env.BENCH_CREATES ?? 600);
const pglite = process.argv.includes("--pglite");
const SERVER = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://carebase_app@127.0.0.1:5432/postgres";

const open = () => openMigratedDatabase(pglite ? "pglite" : "postgresql", { serverUrl: SERVER, poolMax: 2, prefix: "carebase_bench_rx" });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

async function main(): Promise<void> {
  const { db, drop } = await open();
  useDatabase(db);
  try {
    const allergies = ["penicillin", "sulfa drugs", "NSAIDs", "latex"];
    const { session, patientId } = await asService("bench seeding", async (tx) => {
      const { id } = await tx
        .insertInto("auth.users")
        .values({ email: `bench-${randomBytes(4).toString("hex")}@example.test`, password_hash: "!", role: "provider", full_name: "Bench Doctor" })
        .returning("id")
        .executeTakeFirstOrThrow();
      await tx.insertInto("providers").values({ user_id: id, credential: "physician", license_number: "LIC-1", specialty: "Family medicine", is_verified: true, verified_at: new Date() }).execute();
      const { rows } = await sql<{ id: string }>`
        insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, allergies)
        values (${id}, 'Pat', 'Ient', '1970-01-01', 'female', ${allergies}) returning id`.execute(tx);
      const s = await startSession(tx, { id, role: "provider" }, "aal1", {});
      return { session: s.session, patientId: rows[0].id };
    });
    const input = { medication: "Metformin 500 mg tablets", dosage: "500 mg", frequency: "twice daily", start_date: "2026-11-20" };
    const withCheck = () => createPrescription(session, patientId, input, {});
    // the create as it was before 0610: no allergy read, no matcher
    const withoutCheck = () =>
      withUser(session, async (tx) => {
        await assertPatientVisible(tx, patientId);
        const id = randomUUID();
        await tx
          .insertInto("prescriptions")
          .values({ id, patient_id: patientId, prescriber_id: session.userId, visit_id: null, medication: input.medication, dosage: input.dosage, frequency: input.frequency, start_date: input.start_date, end_date: null })
          .execute();
        return findVisiblePrescription(tx, id);
      }, {});
    const time = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    for (let i = 0; i < 100; i++) {
      await withCheck();
      await withoutCheck();
    }
    const a: number[] = [], b: number[] = [], d: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      if (i % 2) {
        b.push(await time(withoutCheck));
        a.push(await time(withCheck));
      } else {
        a.push(await time(withCheck));
        b.push(await time(withoutCheck));
      }
      d.push(a[a.length - 1] - b[b.length - 1]);
    }
    const t0 = performance.now();
    const N = 100_000;
    for (let i = 0; i < N; i++) findAllergyConflicts(input.medication, allergies);
    const matcherUs = ((performance.now() - t0) / N) * 1000;
    const ms = (x: number) => x.toFixed(2);
    console.log(`engine: ${db.kind}; ${CREATES} creates each, alternating; load average ${os.loadavg()[0].toFixed(1)}`);
    console.log(`  create with the allergy check (shipped)   p50 ${ms(pct(a, 0.5))} ms   p95 ${ms(pct(a, 0.95))} ms`);
    console.log(`  create without the check (before 0610)    p50 ${ms(pct(b, 0.5))} ms   p95 ${ms(pct(b, 0.95))} ms`);
    console.log(`  added by the check: p50 of the paired differences ${ms(pct(d, 0.5))} ms (goal ≤ 2 ms); difference of the p50s ${ms(pct(a, 0.5) - pct(b, 0.5))} ms`);
    console.log(`  the matcher alone (4 allergies, no match)  ${matcherUs.toFixed(2)} µs per call`);
  } finally {
    await closeDatabase().catch(() => {});
    await drop();
  }
}

await main();
