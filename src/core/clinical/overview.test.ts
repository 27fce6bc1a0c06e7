/**
 * The chart overview (issue #15, item 5): what it shows, for whom, and the one audit record
 * of what it returned.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, sql, type TestUser } from "../../../tests/support/seed";
import { getChartOverview, OVERVIEW_LIMITS } from "./overview";
import { drainStagedReads } from "../audit/record";

const hex = (n: number) => randomBytes(n).toString("hex");

describe.each(engines)("chart overview on %s", (engine) => {
  let t: TestDatabase;
  let attending: TestUser, nurse: TestUser, outsider: TestUser, patientUser: TestUser, otherPatientUser: TestUser, admin: TestUser;
  let P: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    admin = await createUser("admin");
    attending = await createUser("provider", { fullName: "Dr. Overview" });
    nurse = await createUser("provider", { credential: "registered_nurse" });
    outsider = await createUser("provider");
    patientUser = await createUser("patient");
    otherPatientUser = await createUser("patient");
    P = await createPatient({ createdBy: attending.id, userId: patientUser.id });
    await createPatient({ createdBy: outsider.id, userId: otherPatientUser.id });
    await addToCareTeam(P, nurse.id, "nurse");
    await serviceQuery(async (tx) => {
      const one = async (q: ReturnType<typeof sql<{ id: string }>>) => String((await q.execute(tx)).rows[0].id);
      await sql`update public.patients set allergies = array['penicillin', 'latex'] where id = ${P}`.execute(tx);
      // seven visits: the latest two without vitals, the third with
      for (let i = 0; i < 7; i++) {
        ids[`visit${i}`] = await one(sql<{ id: string }>`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, visit_type, vitals)
          values (${P}, ${attending.id}, now() - make_interval(days => ${i + 1}), ${`Complaint ${i}`}, ${i === 0 ? "telehealth" : "office"},
                  ${i === 2 ? JSON.stringify({ heart_rate: 71, blood_pressure: "118/76" }) : null}::jsonb) returning id`);
      }
      ids.active = await one(sql<{ id: string }>`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
        values (${P}, ${attending.id}, 'Metformin', '500 mg', 'twice daily', current_date - 10) returning id`);
      ids.stopped = await one(sql<{ id: string }>`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date, status, status_reason)
        values (${P}, ${attending.id}, 'Ibuprofen', '200 mg', 'as needed', current_date - 30, 'discontinued', 'Stomach upset') returning id`);
      ids.pending = await one(sql<{ id: string }>`insert into public.documents (patient_id, uploaded_by, object_key, document_type, description, content_type, size_bytes, sha256)
        values (${P}, ${attending.id}, ${`${P}/${hex(8)}`}, 'lab_result', 'HbA1c', 'application/pdf', 10, ${hex(32)}) returning id`);
      ids.reviewed = await one(sql<{ id: string }>`insert into public.documents (patient_id, uploaded_by, object_key, document_type, description, content_type, size_bytes, sha256, reviewed_at, reviewed_by)
        values (${P}, ${attending.id}, ${`${P}/${hex(8)}`}, 'referral', 'Cardiology letter', 'application/pdf', 10, ${hex(32)}, now(), ${attending.id}) returning id`);
      // past, cancelled, then the next one, then a later one
      await sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, requested_by)
        values (${P}, ${attending.id}, now() - interval '2 days', now() - interval '2 days' + interval '30 minutes', 'confirmed', ${attending.id})`.execute(tx);
      await sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, requested_by)
        values (${P}, ${attending.id}, now() + interval '1 day', now() + interval '1 day 30 minutes', 'declined', ${attending.id})`.execute(tx);
      ids.next = await one(sql<{ id: string }>`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, reason, requested_by)
        values (${P}, ${attending.id}, now() + interval '2 days', now() + interval '2 days 30 minutes', 'confirmed', 'Diabetes review', ${attending.id}) returning id`);
      await sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, requested_by)
        values (${P}, ${attending.id}, now() + interval '9 days', now() + interval '9 days 30 minutes', 'confirmed', ${attending.id})`.execute(tx);
      await sql`insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at) values
        (${P}, ${attending.id}, 'heart_rate', 80, 'bpm', now() - interval '2 hours'),
        (${P}, ${attending.id}, 'heart_rate', 64, 'bpm', now() - interval '1 hour'),
        (${P}, ${attending.id}, 'steps', 4000, 'steps', now() - interval '3 hours')`.execute(tx);
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("shows allergies, active medications, last vitals, the next appointment, documents to review and recent visits", async () => {
    const o = await getChartOverview(attending.session, P, {});
    expect(o.allergies).toEqual(["penicillin", "latex"]);
    expect(o.active_medications.map((m) => m.medication)).toEqual(["Metformin"]);
    expect(o.last_visit_vitals).toMatchObject({ visit_id: ids.visit2, vitals: { heart_rate: 71, blood_pressure: "118/76" } });
    expect(o.latest_readings).toEqual([
      expect.objectContaining({ metric: "heart_rate", value: 64 }),
      expect.objectContaining({ metric: "steps", value: 4000 }),
    ]);
    expect(o.next_appointment).toMatchObject({ id: ids.next, status: "confirmed", reason: "Diabetes review", provider_name: "Dr. Overview" });
    expect(o.unreviewed_documents.map((d) => d.id)).toEqual([ids.pending]);
    expect(o.unreviewed_documents_count).toBe(1);
    expect(o.recent_visits).toHaveLength(OVERVIEW_LIMITS.visits);
    expect(o.recent_visits[0]).toMatchObject({ id: ids.visit0, visit_type: "telehealth", provider_name: "Dr. Overview" });
    expect(o.recent_visits[1].visit_type).toBe("office");
  });

  it("is read under the caller's rules: the team, the patient and admins see it; others get not found", async () => {
    expect((await getChartOverview(nurse.session, P, {})).active_medications).toHaveLength(1);
    expect((await getChartOverview(patientUser.session, P, {})).allergies).toEqual(["penicillin", "latex"]);
    expect((await getChartOverview(admin.session, P, {})).recent_visits).toHaveLength(OVERVIEW_LIMITS.visits);
    await expect(getChartOverview(outsider.session, P, {})).rejects.toMatchObject({ status: 404 });
    await expect(getChartOverview(otherPatientUser.session, P, {})).rejects.toMatchObject({ status: 404 });
    // anonymous: no grant at all
    await expect(getChartOverview(null as never, P, {})).rejects.toMatchObject({ code: "42501" });
  });

  it("leaves one audit record naming what it returned", async () => {
    await getChartOverview(nurse.session, P, {});
    await drainStagedReads();
    const rec = await serviceQuery(async (tx) =>
      (await sql<{ record_id: string | null; details: { view?: string; record_ids?: string[] } | null; table_name: string }>`
        select record_id, details, table_name from public.audit_log
         where actor_id = ${nurse.id} and patient_id = ${P} and action = 'read' order by id desc limit 1`.execute(tx)).rows[0]);
    expect(rec).toBeTruthy();
    expect(JSON.stringify(rec)).toContain("overview");
    expect(JSON.stringify(rec)).toContain(ids.active);
    expect(JSON.stringify(rec)).not.toContain(ids.stopped);
  });
});
