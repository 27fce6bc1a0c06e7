/**
 * Break-the-glass in the database (issue #18, docs/emergency-access.md): what an emergency
 * grant opens, for how long, to whom, and that it never lets anyone write. Runs through
 * withUser, so through RLS exactly as every channel meets it, on PGlite and PostgreSQL.
 * Expiry is tested without waiting: the grant's clock is moved back on the row.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { withUser, type Tx } from "@/core/db/with-user";
import type { Session } from "@/core/auth/session-types";
import { recordRead } from "@/core/audit/record";

const REASON = "Unconscious on arrival, no relatives reachable";

/** The SQLSTATE of a statement run as the session (rolled back), or "ok:<rows>". */
async function attempt(session: Session, q: ReturnType<typeof sql>): Promise<string> {
  const STOP = Symbol("stop");
  let n = 0;
  try {
    await withUser(session, async (tx) => {
      n = Number((await q.execute(tx)).numAffectedRows ?? 0);
      throw STOP;
    });
  } catch (e) {
    if (e === STOP) return `ok:${n}`;
    return (e as { code?: string }).code ?? String(e);
  }
  return "unreachable";
}

async function rowsSeen(session: Session, table: string, patient: string): Promise<number> {
  return withUser(session, async (tx) => {
    const col = table === "patients" ? "id" : "patient_id";
    return (await sql`select 1 from ${sql.table(`public.${table}`)} where ${sql.ref(col)} = ${patient}`.execute(tx)).rows.length;
  });
}

async function open(session: Session, mrn: string, dob: string, reason = REASON): Promise<{ id: string; patient_id: string; expires_at: Date } | undefined> {
  return withUser(session, async (tx: Tx) =>
    (await sql<{ id: string; patient_id: string; expires_at: Date }>`select * from app.open_emergency_access(${mrn}, ${dob}::date, ${reason}, 60)`.execute(tx)).rows[0]);
}

describe.each(engines)("emergency access in the database on %s", (engine) => {
  let t: TestDatabase;
  let attending: TestUser, nurse: TestUser, doctor: TestUser, assistant: TestUser, unverified: TestUser, patientUser: TestUser;
  let P: string, Q: string, mrnP: string, mrnQ: string;
  const DOB = "1980-04-02"; // createPatient's

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    attending = await createUser("provider");
    nurse = await createUser("provider", { credential: "registered_nurse" });
    doctor = await createUser("provider");
    assistant = await createUser("provider", { credential: "medical_assistant" });
    unverified = await createUser("provider", { verified: false });
    patientUser = await createUser("patient");
    P = await createPatient({ createdBy: attending.id, userId: patientUser.id });
    Q = await createPatient({ createdBy: attending.id });
    await serviceQuery(async (tx) => {
      const v = (await sql<{ id: string }>`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint)
        values (${P}, ${attending.id}, now(), 'Chest pain') returning id`.execute(tx)).rows[0].id;
      await sql`insert into public.prescriptions (visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date)
        values (${v}, ${P}, ${attending.id}, 'Aspirin', '75 mg', 'daily', current_date)`.execute(tx);
      await sql`insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at) values (${P}, ${attending.id}, 'heart_rate', 88, 'bpm', now())`.execute(tx);
      await sql`insert into public.care_messages (patient_id, sender_id, message) values (${P}, ${attending.id}, 'Staff only')`.execute(tx);
      const mrns = (await sql<{ id: string; mrn: string }>`select id, mrn from public.patients where id in (${P}, ${Q})`.execute(tx)).rows;
      mrnP = mrns.find((m) => m.id === P)!.mrn;
      mrnQ = mrns.find((m) => m.id === Q)!.mrn;
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("refuses every miss alike: wrong MRN, wrong date of birth, a credential that may not, unverified, a patient", async () => {
    expect(await open(nurse.session, "NO-SUCH-MRN", DOB)).toBeUndefined();
    expect(await open(nurse.session, mrnP, "1980-04-03")).toBeUndefined();
    expect(await open(assistant.session, mrnP, DOB)).toBeUndefined();
    expect(await open(unverified.session, mrnP, DOB)).toBeUndefined();
    expect(await open(patientUser.session, mrnP, DOB)).toBeUndefined();
    // a care-team member already reads the chart
    expect(await attempt(attending.session, sql`select * from app.open_emergency_access(${mrnP}, ${DOB}::date, ${REASON}, 60)`)).toBe("CB409");
    const n = await serviceQuery(async (tx) => (await sql`select id from public.emergency_access_grants`.execute(tx)).rows.length);
    expect(n).toBe(0);
    // nobody writes a grant directly
    expect(await attempt(nurse.session, sql`insert into public.emergency_access_grants (patient_id, provider_id, reason, expires_at)
      values (${P}, ${nurse.id}, ${REASON}, now() + interval '1 hour')`)).toBe("42501");
  });

  it("an active grant lets its holder read that chart, read-only, and nothing else; ended, it opens nothing", async () => {
    for (const table of ["patients", "visits", "prescriptions", "vitals", "care_team"]) expect(await rowsSeen(nurse.session, table, P)).toBe(0);
    const g = await open(nurse.session, mrnP, DOB);
    expect(g?.patient_id).toBe(P);
    expect(new Date(g!.expires_at).getTime() - Date.now()).toBeGreaterThan(59 * 60_000);
    for (const table of ["patients", "visits", "prescriptions", "vitals", "care_team"]) expect(await rowsSeen(nurse.session, table, P), table).toBeGreaterThan(0);
    // the staff channel is the care team's alone; other patients stay closed
    expect(await rowsSeen(nurse.session, "care_messages", P)).toBe(0);
    for (const table of ["patients", "visits"]) expect(await rowsSeen(nurse.session, table, Q)).toBe(0);
    // other providers gain nothing from it
    expect(await rowsSeen(doctor.session, "patients", P)).toBe(0);

    // read-only: every write is refused
    const visit = await serviceQuery(async (tx) => (await sql<{ id: string }>`select id from public.visits where patient_id = ${P} limit 1`.execute(tx)).rows[0].id);
    expect(await attempt(nurse.session, sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint) values (${P}, ${nurse.id}, now(), 'x')`)).toBe("42501");
    expect(await attempt(nurse.session, sql`update public.patients set first_name = 'Changed' where id = ${P}`)).toBe("ok:0");
    expect(await attempt(nurse.session, sql`insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at) values (${P}, ${nurse.id}, 'heart_rate', 90, 'bpm', now())`)).toBe("42501");
    expect(await attempt(nurse.session, sql`insert into public.care_messages (patient_id, sender_id, message) values (${P}, ${nurse.id}, 'hello')`)).toBe("42501");
    expect(await attempt(nurse.session, sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, reason, requested_by)
      values (${P}, ${attending.id}, now() + interval '1 day', now() + interval '1 day 30 minutes', 'Follow-up', ${nurse.id})`)).toBe("42501");
    expect(await attempt(nurse.session, sql`insert into public.documents (patient_id, uploaded_by, object_key, document_type, content_type, size_bytes, sha256)
      values (${P}, ${nurse.id}, ${`${P}/x`}, 'lab_result', 'application/pdf', 1, ${"a".repeat(64)})`)).toBe("42501");

    // a physician's grant does not prescribe either
    const dg = await open(doctor.session, mrnP, DOB);
    expect(dg).toBeDefined();
    expect(await attempt(doctor.session, sql`insert into public.prescriptions (visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date)
      values (${visit}, ${P}, ${doctor.id}, 'Morphine', '5 mg', 'once', current_date)`)).toBe("42501");
    expect(await attempt(doctor.session, sql`update public.prescriptions set status = 'completed' where patient_id = ${P}`)).toBe("ok:0");

    // ended early by its holder: closed from the next transaction; nobody else ends it
    expect(await withUser(attending.session, async (tx) => (await sql<{ e: boolean }>`select app.end_emergency_access(${dg!.id}::uuid) as e`.execute(tx)).rows[0].e)).toBe(false);
    expect(await withUser(doctor.session, async (tx) => (await sql<{ e: boolean }>`select app.end_emergency_access(${dg!.id}::uuid) as e`.execute(tx)).rows[0].e)).toBe(true);
    expect(await rowsSeen(doctor.session, "patients", P)).toBe(0);
    expect(await withUser(doctor.session, async (tx) => (await sql<{ e: boolean }>`select app.end_emergency_access(${dg!.id}::uuid) as e`.execute(tx)).rows[0].e)).toBe(false);
    // the nurse's grant is untouched by the doctor's ending
    expect(await rowsSeen(nurse.session, "patients", P)).toBe(1);
  });

  it("expires without anyone waiting: moved past its expiry, the grant opens nothing", async () => {
    expect(await rowsSeen(nurse.session, "visits", P)).toBeGreaterThan(0);
    await serviceQuery((tx) => sql`update public.emergency_access_grants
      set created_at = created_at - interval '61 minutes', expires_at = expires_at - interval '61 minutes'
      where provider_id = ${nurse.id} and ended_at is null`.execute(tx));
    for (const table of ["patients", "visits", "prescriptions", "vitals"]) expect(await rowsSeen(nurse.session, table, P), table).toBe(0);
    // an expired grant cannot be ended either (it is over)
    const id = await serviceQuery(async (tx) => (await sql<{ id: string }>`select id from public.emergency_access_grants where provider_id = ${nurse.id}`.execute(tx)).rows[0].id);
    expect(await withUser(nurse.session, async (tx) => (await sql<{ e: boolean }>`select app.end_emergency_access(${id}::uuid) as e`.execute(tx)).rows[0].e)).toBe(false);
  });

  it("a grant stops with the holder's verification, and records every read as emergency access", async () => {
    const g = await open(nurse.session, mrnP, DOB);
    expect(g).toBeDefined();
    await serviceQuery((tx) => sql`update public.providers set is_verified = false, verified_at = null, verified_by = null where user_id = ${nurse.id}`.execute(tx));
    expect(await rowsSeen(nurse.session, "patients", P)).toBe(0);
    await serviceQuery((tx) => sql`update public.providers set is_verified = true, verified_at = now() where user_id = ${nurse.id}`.execute(tx));
    await withUser(nurse.session, async (tx) => {
      const row = await tx.selectFrom("patients").select("id").where("id", "=", P).executeTakeFirstOrThrow();
      await recordRead(tx, { kind: "patient_chart", patientIds: [row.id], recordIds: [row.id] });
    });
    // a read of a patient the grant does not cover cannot even be recorded
    expect(await attempt(nurse.session, sql`select app.stage_read('patient_chart', array[${Q}]::uuid[], array[]::text[], null)`)).toBe("42501");
    const reads = await serviceQuery(async (tx) =>
      (await sql<{ details: Record<string, unknown> }>`select details from public.audit_log
        where actor_id = ${nurse.id} and patient_id = ${P} and action = 'read'`.execute(tx)).rows);
    expect(reads).toHaveLength(1);
    expect(reads[0].details.emergency_access).toBe(g!.id);
    // the grant itself is on the trail, with its reason
    const opened = await serviceQuery(async (tx) =>
      (await sql<{ n: number }>`select count(*)::int as n from public.audit_log
        where table_name = 'emergency_access_grants' and action = 'insert' and record_id = ${g!.id} and new_row ->> 'reason' = ${REASON}`.execute(tx)).rows[0].n);
    expect(opened).toBe(1);
  });

  it("tells the care team in the same transaction: a chart change event and a mail to each verified member, none to the holder", async () => {
    const before = await serviceQuery(async (tx) => (await sql<{ n: number }>`select count(*)::int as n from app.mail_outbox where kind = 'emergency_access'`.execute(tx)).rows[0].n);
    await addToCareTeam(Q, nurse.id, "nurse"); // Q's team: the attending (creator) and the nurse
    const g = await withUser(doctor.session, async (tx) => {
      const row = (await sql<{ id: string }>`select id from app.open_emergency_access(${mrnQ}, ${DOB}::date, ${REASON}, 60)`.execute(tx)).rows[0];
      const n = (await sql<{ n: number }>`select app.enqueue_emergency_notice(${row.id}::uuid, 'Emergency access opened', 'v1.sealed', 'held') as n`.execute(tx)).rows[0].n;
      expect(n).toBe(2);
      return row;
    });
    // a later transaction cannot mail for it again
    const again = await withUser(doctor.session, async (tx) =>
      (await sql<{ n: number }>`select app.enqueue_emergency_notice(${g.id}::uuid, 'Spam', 'v1.sealed', 'held') as n`.execute(tx)).rows[0].n);
    expect(again).toBe(0);
    const mails = await serviceQuery(async (tx) =>
      (await sql<{ to_address: string }>`select to_address from app.mail_outbox where kind = 'emergency_access' order by to_address`.execute(tx)).rows);
    expect(mails.length - before).toBe(2);
    expect(mails.map((m) => m.to_address)).toEqual(expect.arrayContaining([attending.email, nurse.email]));
    expect(mails.map((m) => m.to_address)).not.toContain(doctor.email);
    const events = await serviceQuery(async (tx) =>
      (await sql<{ op: string }>`select op from app.change_events where table_name = 'emergency_access_grants' and patient_id = ${Q} and record_ids = array[${g.id}]`.execute(tx)).rows);
    expect(events.map((e) => e.op)).toEqual(["INSERT"]);
  });

  it("the patient sees who broke the glass and why; nobody else calls that function for them", async () => {
    const mine = await withUser(patientUser.session, async (tx) =>
      (await sql<{ provider_name: string; reason: string; credential: string }>`select * from app.my_emergency_accesses()`.execute(tx)).rows);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.every((m) => m.reason === REASON)).toBe(true);
    expect(mine.map((m) => m.credential)).toEqual(expect.arrayContaining(["registered_nurse", "physician"]));
    const theirs = await withUser(doctor.session, async (tx) => (await sql`select * from app.my_emergency_accesses()`.execute(tx)).rows);
    expect(theirs).toEqual([]);
  });
});
