import { randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { call } from "../support/http";
import { sql } from "kysely";
import * as patientsRoute from "@/app/api/v1/patients/route";
import * as patientRoute from "@/app/api/v1/patients/[id]/route";
import * as careTeamRoute from "@/app/api/v1/patients/[id]/care-team/route";
import * as careTeamMemberRoute from "@/app/api/v1/patients/[id]/care-team/[provider_id]/route";
import * as visitsRoute from "@/app/api/v1/patients/[id]/visits/route";
import * as prescriptionsRoute from "@/app/api/v1/patients/[id]/prescriptions/route";
import * as prescriptionRoute from "@/app/api/v1/prescriptions/[id]/route";
import * as pdfRoute from "@/app/api/v1/prescriptions/[id]/pdf/route";
import * as appointmentsRoute from "@/app/api/v1/patients/[id]/appointments/route";
import * as appointmentRoute from "@/app/api/v1/appointments/[id]/route";
import * as mePatientRoute from "@/app/api/v1/me/patient/route";

const newPatientBody = (mrn: string) => ({
  first_name: "Ada",
  last_name: "Lovelace",
  date_of_birth: "1985-12-10",
  gender: "female",
  blood_type: "A+",
  allergies: ["penicillin", "latex"],
  emergency_contact: { name: "Byron", relationship: "father", phone: "+44 20 7946 0000" },
  address: "12 St James's Square, London",
  insurance: { provider: "NHS", policy_number: "NH-123" },
  mrn,
});

/** The text of a PDF, as poppler's pdftotext reads it (the PDF embeds Unicode fonts). */
function pdfText(bytes: Buffer): string {
  return execFileSync("pdftotext", ["-enc", "UTF-8", "-", "-"], { input: bytes }).toString("utf8");
}

const expectError = (r: { status: number; body: { error?: { code?: string; message?: string } } }, status: number) => {
  expect(r.status).toBe(status);
  expect(typeof r.body.error?.code).toBe("string");
  expect(typeof r.body.error?.message).toBe("string");
};

describe.each(engines)("clinical API on %s", (engine) => {
  let t: TestDatabase;
  let admin: TestUser, attending: TestUser, nurse: TestUser, specialist: TestUser, outsider: TestUser, unverified: TestUser;
  let patientUser: TestUser, otherPatientUser: TestUser;
  let patientId: string, otherPatientId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    admin = await createUser("admin");
    attending = await createUser("provider");
    nurse = await createUser("provider", { credential: "registered_nurse" });
    specialist = await createUser("provider");
    outsider = await createUser("provider");
    unverified = await createUser("provider", { verified: false });
    patientUser = await createUser("patient");
    otherPatientUser = await createUser("patient");
    patientId = await createPatient({ createdBy: attending.id, userId: patientUser.id });
    otherPatientId = await createPatient({ createdBy: outsider.id, userId: otherPatientUser.id });
    await addToCareTeam(patientId, attending.id, "attending");
    await addToCareTeam(patientId, nurse.id, "nurse");
    await addToCareTeam(patientId, specialist.id, "specialist");
    await addToCareTeam(patientId, unverified.id, "nurse");
    await addToCareTeam(otherPatientId, outsider.id, "attending");
  });
  afterAll(async () => {
    await t?.drop();
  });

  describe("patients", () => {
    it("refuses anonymous callers with 401", async () => {
      expectError(await call(patientsRoute.GET), 401);
    });

    it("lists only the patients on the caller's care team, with the dashboard columns", async () => {
      const r = await call(patientsRoute.GET, { token: attending.accessToken });
      expect(r.status).toBe(200);
      const ids = r.body.data.map((p: { id: string }) => p.id);
      expect(ids).toContain(patientId);
      expect(ids).not.toContain(otherPatientId);
      expect(r.body.count).toBe(ids.length);
      expect(r.body.data[0]).toHaveProperty("active_prescriptions");
      expect(r.body.data[0]).toHaveProperty("last_visit_date");
    });

    it("sorts by last visit from the visible visits only: newest first, patients without visits last", async () => {
      const recent = await createPatient({ createdBy: attending.id, lastName: "Recent" });
      const never = await createPatient({ createdBy: attending.id, lastName: "Never" });
      await addToCareTeam(recent, attending.id, "attending");
      await addToCareTeam(never, attending.id, "attending");
      await serviceQuery(async (tx) => {
        await sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint)
          values (${recent}, ${attending.id}, now() - interval '1 day', 'Recent'),
                 (${patientId}, ${attending.id}, now() - interval '30 days', 'Older'),
                 (${otherPatientId}, ${outsider.id}, now(), 'Not the attending''s')`.execute(tx);
      });
      const r = await call(patientsRoute.GET, { token: attending.accessToken, query: { sort: "-last_visit", limit: "100" } });
      expect(r.status).toBe(200);
      const ids: string[] = r.body.data.map((p: { id: string }) => p.id);
      expect(ids).not.toContain(otherPatientId);
      expect(ids.indexOf(recent)).toBeLessThan(ids.indexOf(patientId));
      expect(ids.indexOf(patientId)).toBeLessThan(ids.indexOf(never));
      expect(r.body.data.find((p: { id: string }) => p.id === never).last_visit_date).toBeNull();
      const asc = await call(patientsRoute.GET, { token: attending.accessToken, query: { sort: "last_visit", limit: "100" } });
      const ascIds: string[] = asc.body.data.map((p: { id: string }) => p.id);
      expect(ascIds.indexOf(never)).toBeLessThan(ascIds.indexOf(patientId)); // nulls first
      expect(ascIds.indexOf(patientId)).toBeLessThan(ascIds.indexOf(recent));
    });

    it("gives an unverified provider nothing", async () => {
      const r = await call(patientsRoute.GET, { token: unverified.accessToken });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([]);
      expectError(await call(patientRoute.GET, { token: unverified.accessToken, params: { id: patientId } }), 404);
    });

    it("lets an admin list every patient", async () => {
      const r = await call(patientsRoute.GET, { token: admin.accessToken, query: { limit: "100" } });
      const ids = r.body.data.map((p: { id: string }) => p.id);
      expect(ids).toEqual(expect.arrayContaining([patientId, otherPatientId]));
    });

    it("validates the list query", async () => {
      expectError(await call(patientsRoute.GET, { token: attending.accessToken, query: { limit: "0" } }), 422);
      expectError(await call(patientsRoute.GET, { token: attending.accessToken, query: { sort: "ssn" } }), 422);
    });

    it("searches by name prefix and MRN, treating wildcards literally", async () => {
      const mrn = `SRCH-${randomUUID().slice(0, 8)}`;
      const created = await call(patientsRoute.POST, { token: attending.accessToken, body: { ...newPatientBody(mrn), last_name: "Zyxwvut" } });
      expect(created.status).toBe(201);
      const byName = await call(patientsRoute.GET, { token: attending.accessToken, query: { search: "zyxw" } });
      expect(byName.body.data.map((p: { id: string }) => p.id)).toEqual([created.body.id]);
      const byMrn = await call(patientsRoute.GET, { token: attending.accessToken, query: { search: mrn.toLowerCase() } });
      expect(byMrn.body.data.map((p: { id: string }) => p.id)).toEqual([created.body.id]);
      const wildcard = await call(patientsRoute.GET, { token: attending.accessToken, query: { search: "%" } });
      expect(wildcard.body.data).toEqual([]);
    });

    it("registers a patient and makes the creator its attending", async () => {
      const mrn = `MRN-${randomUUID().slice(0, 8)}`;
      const r = await call(patientsRoute.POST, { token: nurse.accessToken, body: newPatientBody(mrn) });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ first_name: "Ada", mrn, allergies: ["penicillin", "latex"], has_portal_account: false });
      const team = await call(careTeamRoute.GET, { token: nurse.accessToken, params: { id: r.body.id } });
      expect(team.body.data).toEqual([expect.objectContaining({ provider_id: nurse.id, role: "attending" })]);
    });

    it("ignores forged fields in the body (role, created_by, user_id)", async () => {
      const mrn = `FRG-${randomUUID().slice(0, 8)}`;
      const r = await call(patientsRoute.POST, {
        token: attending.accessToken,
        body: { ...newPatientBody(mrn), role: "admin", created_by: outsider.id, user_id: otherPatientUser.id },
      });
      expect(r.status).toBe(201);
      const row = await serviceQuery((tx) => tx.selectFrom("patients").select(["created_by", "user_id"]).where("id", "=", r.body.id).executeTakeFirstOrThrow());
      expect(row).toEqual({ created_by: attending.id, user_id: null });
      // and the forged "role" did not make the caller an admin
      const list = await call(patientsRoute.GET, { token: attending.accessToken, query: { limit: "100" } });
      expect(list.body.data.map((p: { id: string }) => p.id)).not.toContain(otherPatientId);
    });

    it("answers a duplicate MRN with 409 naming the field", async () => {
      const mrn = `DUP-${randomUUID().slice(0, 8)}`;
      expect((await call(patientsRoute.POST, { token: attending.accessToken, body: newPatientBody(mrn) })).status).toBe(201);
      const r = await call(patientsRoute.POST, { token: attending.accessToken, body: newPatientBody(mrn) });
      expectError(r, 409);
      expect(r.body.error.fields).toHaveProperty("mrn");
    });

    it("refuses patients and unverified providers registering patients", async () => {
      expectError(await call(patientsRoute.POST, { token: patientUser.accessToken, body: newPatientBody(`P-${randomUUID().slice(0, 8)}`) }), 403);
      expectError(await call(patientsRoute.POST, { token: unverified.accessToken, body: newPatientBody(`U-${randomUUID().slice(0, 8)}`) }), 403);
    });

    it("answers malformed and invalid bodies with 400/422 and writes nothing", async () => {
      const before = await serviceQuery((tx) => tx.selectFrom("patients").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow());
      expectError(await call(patientsRoute.POST, { token: attending.accessToken, raw: "{not json" }), 400);
      expectError(await call(patientsRoute.POST, { token: attending.accessToken, raw: "[1,2]" }), 400);
      expectError(await call(patientsRoute.POST, { token: attending.accessToken, body: { ...newPatientBody("X-1234"), first_name: 42 } }), 400);
      expectError(await call(patientsRoute.POST, { token: attending.accessToken, body: { ...newPatientBody("X-1234"), date_of_birth: "2999-01-01" } }), 422);
      expectError(await call(patientsRoute.POST, { token: attending.accessToken, body: { ...newPatientBody("no spaces allowed"), gender: "female" } }), 422);
      expectError(await call(patientsRoute.POST, { token: attending.accessToken, body: { ...newPatientBody("X-1235"), gender: "robot" } }), 422);
      expectError(
        await call(patientsRoute.POST, { token: attending.accessToken, body: newPatientBody("X-1236"), headers: { "content-type": "text/plain" } }),
        415,
      );
      const after = await serviceQuery((tx) => tx.selectFrom("patients").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow());
      expect(after.n).toEqual(before.n);
    });

    it("reads a visible chart and 404s an invisible or unknown one, and 400s a malformed id", async () => {
      expect((await call(patientRoute.GET, { token: nurse.accessToken, params: { id: patientId } })).status).toBe(200);
      expect((await call(patientRoute.GET, { token: patientUser.accessToken, params: { id: patientId } })).status).toBe(200);
      const hidden = await call(patientRoute.GET, { token: outsider.accessToken, params: { id: patientId } });
      const unknown = await call(patientRoute.GET, { token: outsider.accessToken, params: { id: randomUUID() } });
      expectError(hidden, 404);
      expect(hidden.body).toEqual(unknown.body); // indistinguishable
      expectError(await call(patientRoute.GET, { token: otherPatientUser.accessToken, params: { id: patientId } }), 404);
      expectError(await call(patientRoute.GET, { token: nurse.accessToken, params: { id: "not-a-uuid" } }), 400);
      expectError(await call(patientRoute.GET, { token: nurse.accessToken, params: { id: "1' or '1'='1" } }), 400);
    });

    it("lets the care team edit demographics, and not the patient", async () => {
      const ok = await call(patientRoute.PATCH, { token: nurse.accessToken, params: { id: patientId }, method: "PATCH", body: { address: "1 New Street" } });
      expect(ok.status).toBe(200);
      expect(ok.body.address).toBe("1 New Street");
      expectError(await call(patientRoute.PATCH, { token: patientUser.accessToken, params: { id: patientId }, method: "PATCH", body: { address: "x" } }), 403);
      expectError(await call(patientRoute.PATCH, { token: outsider.accessToken, params: { id: patientId }, method: "PATCH", body: { address: "x" } }), 404);
      expectError(await call(patientRoute.PATCH, { token: nurse.accessToken, params: { id: patientId }, method: "PATCH", body: {} }), 422);
    });

    it("shows a patient their own record at /me/patient", async () => {
      const r = await call(mePatientRoute.GET, { token: patientUser.accessToken });
      expect(r.status).toBe(200);
      expect(r.body.id).toBe(patientId);
      expectError(await call(mePatientRoute.GET, { token: nurse.accessToken }), 404);
    });
  });

  describe("care team", () => {
    it("is managed by admins and the attending; a provider cannot add themselves", async () => {
      const self = await call(careTeamRoute.POST, { token: outsider.accessToken, params: { id: otherPatientId }, body: { provider_id: outsider.id, role: "nurse" } });
      expectError(self, 403);
      const hidden = await call(careTeamRoute.POST, { token: outsider.accessToken, params: { id: patientId }, body: { provider_id: outsider.id, role: "nurse" } });
      expectError(hidden, 404);
      const added = await call(careTeamRoute.POST, { token: admin.accessToken, params: { id: patientId }, body: { provider_id: outsider.id, role: "specialist" } });
      expect(added.status).toBe(201);
      expect((await call(patientRoute.GET, { token: outsider.accessToken, params: { id: patientId } })).status).toBe(200);
      const dup = await call(careTeamRoute.POST, { token: admin.accessToken, params: { id: patientId }, body: { provider_id: outsider.id, role: "nurse" } });
      expectError(dup, 409);
      const removed = await call(careTeamMemberRoute.DELETE, { token: admin.accessToken, method: "DELETE", params: { id: patientId, provider_id: outsider.id } });
      expect(removed.status).toBe(204);
      // removal revokes access at once
      expectError(await call(patientRoute.GET, { token: outsider.accessToken, params: { id: patientId } }), 404);
      expectError(await call(careTeamMemberRoute.DELETE, { token: admin.accessToken, method: "DELETE", params: { id: patientId, provider_id: outsider.id } }), 404);
    });

    it("requires MFA (aal2) for admins", async () => {
      const weakAdmin = await createUser("admin", { aal: "aal1" });
      const r = await call(careTeamRoute.POST, { token: weakAdmin.accessToken, params: { id: patientId }, body: { provider_id: outsider.id, role: "nurse" } });
      expectError(r, 403);
      expect(r.body.error.code).toBe("mfa_required");
    });

    it("rejects an unknown provider with 422", async () => {
      expectError(await call(careTeamRoute.POST, { token: admin.accessToken, params: { id: patientId }, body: { provider_id: randomUUID(), role: "nurse" } }), 422);
      expectError(await call(careTeamRoute.POST, { token: admin.accessToken, params: { id: patientId }, body: { provider_id: patientUser.id, role: "nurse" } }), 422);
    });
  });

  describe("visits and prescriptions", () => {
    it("lets any care-team member record a visit, not the patient or an outsider", async () => {
      const body = { visit_date: "2026-11-20T10:00:00Z", chief_complaint: "Cough", diagnosis: "Bronchitis", notes: "Rest", vitals: { heart_rate: 80, blood_pressure: "120/80" } };
      const r = await call(visitsRoute.POST, { token: nurse.accessToken, params: { id: patientId }, body });
      expect(r.status).toBe(201);
      expect(r.body.provider_id).toBe(nurse.id);
      expectError(await call(visitsRoute.POST, { token: patientUser.accessToken, params: { id: patientId }, body }), 403);
      expectError(await call(visitsRoute.POST, { token: outsider.accessToken, params: { id: patientId }, body }), 404);
      expectError(await call(visitsRoute.POST, { token: nurse.accessToken, params: { id: patientId }, body: { ...body, vitals: { heart_rate: 900 } } }), 422);
      const list = await call(visitsRoute.GET, { token: patientUser.accessToken, params: { id: patientId } });
      expect(list.body.data.map((v: { id: string }) => v.id)).toContain(r.body.id);
    });

    it("lets only attending and specialist members prescribe", async () => {
      const body = { medication: "Metformin", dosage: "500 mg", frequency: "twice daily", start_date: "2026-11-20", end_date: "2026-11-27" };
      const ok = await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body });
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ prescriber_id: attending.id, is_active: true, status: "active", allergy_override_reason: null, start_date: "2026-11-20" });
      expect((await call(prescriptionsRoute.POST, { token: specialist.accessToken, params: { id: patientId }, body })).status).toBe(201);
      expectError(await call(prescriptionsRoute.POST, { token: nurse.accessToken, params: { id: patientId }, body }), 403);
      expectError(await call(prescriptionsRoute.POST, { token: patientUser.accessToken, params: { id: patientId }, body }), 403);
      expectError(await call(prescriptionsRoute.POST, { token: outsider.accessToken, params: { id: patientId }, body }), 404);
      expectError(await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body: { ...body, end_date: "2026-01-01" } }), 422);
      expectError(await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body: { ...body, visit_id: randomUUID() } }), 422);

      // stop it (older clients: {is_active}): nurse cannot, attending can; outsider sees nothing
      expectError(await call(prescriptionRoute.PATCH, { token: nurse.accessToken, method: "PATCH", params: { id: ok.body.id }, body: { is_active: false } }), 403);
      expectError(await call(prescriptionRoute.PATCH, { token: outsider.accessToken, method: "PATCH", params: { id: ok.body.id }, body: { is_active: false } }), 404);
      const stopped = await call(prescriptionRoute.PATCH, { token: attending.accessToken, method: "PATCH", params: { id: ok.body.id }, body: { is_active: false } });
      expect(stopped.body).toMatchObject({ is_active: false, status: "completed" });
    });

    it("follows the licence: an attending with a nurse's credential cannot prescribe, a physician attending can", async () => {
      const rn = await createUser("provider", { credential: "registered_nurse" });
      const np = await createUser("provider", { credential: "nurse_practitioner" });
      // the nurse registers a patient and becomes its attending
      const reg = await call(patientsRoute.POST, { token: rn.accessToken, body: { ...newPatientBody(`MRN-RN-${randomUUID().slice(0, 8)}`), allergies: [] } });
      expect(reg.status).toBe(201);
      const team = await call(careTeamRoute.GET, { token: rn.accessToken, params: { id: reg.body.id } });
      expect(team.body.data).toEqual([expect.objectContaining({ provider_id: rn.id, role: "attending" })]);
      const body = { medication: "Lisinopril", dosage: "10 mg", frequency: "once daily", start_date: "2026-11-20" };
      const refused = await call(prescriptionsRoute.POST, { token: rn.accessToken, params: { id: reg.body.id }, body });
      expectError(refused, 403);
      expect(refused.body.error.message).toMatch(/prescribing credential/);
      // the attending adds a nurse practitioner colleague, who prescribes
      expect((await call(careTeamRoute.POST, { token: rn.accessToken, params: { id: reg.body.id }, body: { provider_id: np.id, role: "specialist" } })).status).toBe(201);
      expect((await call(prescriptionsRoute.POST, { token: np.accessToken, params: { id: reg.body.id }, body })).status).toBe(201);
      // the attending removes the colleague (access ends at once), but not themselves; the colleague removes nobody
      expectError(await call(careTeamMemberRoute.DELETE, { token: np.accessToken, method: "DELETE", params: { id: reg.body.id, provider_id: rn.id } }), 403);
      expectError(await call(careTeamMemberRoute.DELETE, { token: rn.accessToken, method: "DELETE", params: { id: reg.body.id, provider_id: rn.id } }), 403);
      expect((await call(careTeamMemberRoute.DELETE, { token: rn.accessToken, method: "DELETE", params: { id: reg.body.id, provider_id: np.id } })).status).toBe(204);
      expectError(await call(patientRoute.GET, { token: np.accessToken, params: { id: reg.body.id } }), 404);
      // a physician attending (the seeded one) prescribes on their own patient
      expect((await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body })).status).toBe(201);
    });

    it("refuses a drug matching a recorded allergy with 409 allergy_conflict, and stores and audits an override", async () => {
      // the seeded patient is allergic to penicillin
      const body = { medication: "Amoxicillin", dosage: "500 mg", frequency: "three times daily", start_date: "2026-11-20" };
      const conflict = await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body });
      expectError(conflict, 409);
      expect(conflict.body.error.code).toBe("allergy_conflict");
      expect(conflict.body.error.message).toMatch(/penicillin/i);
      expect(conflict.body.error.fields).toHaveProperty("allergy_override_reason");
      const tooShort = await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body: { ...body, allergy_override_reason: " " } });
      expectError(tooShort, 422);
      // cephalosporin cross-reactivity is flagged too
      expect((await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body: { ...body, medication: "Cefalexin" } })).body.error.code).toBe("allergy_conflict");

      const reason = "Tolerated amoxicillin in 2024 under observation; rash only.";
      const ok = await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body: { ...body, allergy_override_reason: reason } });
      expect(ok.status).toBe(201);
      expect(ok.body.allergy_override_reason).toBe(reason);
      const list = await call(prescriptionsRoute.GET, { token: patientUser.accessToken, params: { id: patientId } });
      expect(list.body.data.find((r: { id: string }) => r.id === ok.body.id).allergy_override_reason).toBe(reason);
      const audit = await serviceQuery(async (tx) =>
        (await sql<{ action: string; details: { reason?: string; allergies?: string[] } | null; new_row: { allergy_override_reason?: string } | null }>`
          select action, details, new_row from public.audit_log
           where patient_id = ${patientId} and (record_id = ${ok.body.id} or details ->> 'prescription_id' = ${ok.body.id})`.execute(tx)).rows,
      );
      expect(audit.find((a) => a.action === "prescription.allergy_override")?.details).toMatchObject({ reason, allergies: ["penicillin"] });
      expect(audit.find((a) => a.new_row?.allergy_override_reason === reason)).toBeTruthy();
      // the PDF prints the allergies and the override
      const pdf = await call(pdfRoute.GET, { token: attending.accessToken, params: { id: ok.body.id } });
      const text = pdfText(pdf.bytes!);
      for (const s of ["Allergies", "penicillin", "Allergy override", "Tolerated amoxicillin"]) expect(text, s).toContain(s);
      // a reason given without a conflict is not stored
      const plain = await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body: { ...body, medication: "Metformin", allergy_override_reason: reason } });
      expect(plain.body.allergy_override_reason).toBeNull();
    });

    it("moves a prescription through active, completed and discontinued (PATCH {status, reason})", async () => {
      const body = { medication: "Atenolol", dosage: "50 mg", frequency: "once daily", start_date: "2026-11-20" };
      const rx = (await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body })).body;
      const patch = (b: unknown, token = attending.accessToken) => call(prescriptionRoute.PATCH, { token, method: "PATCH", params: { id: rx.id }, body: b });

      // validation: unknown status, nothing to do, discontinuing without a reason, contradicting is_active
      expectError(await patch({ status: "paused" }), 422);
      expectError(await patch({}), 422);
      const noReason = await patch({ status: "discontinued" });
      expectError(noReason, 422);
      expect(noReason.body.error.fields).toHaveProperty("reason");
      expectError(await patch({ status: "discontinued", reason: "  " }), 422);
      expectError(await patch({ status: "active", is_active: false }), 422);
      // who: nurse 403, outsider 404, patient 403
      expectError(await patch({ status: "completed" }, nurse.accessToken), 403);
      expectError(await patch({ status: "completed" }, outsider.accessToken), 404);
      expectError(await patch({ status: "completed" }, patientUser.accessToken), 403);

      const today = new Date().toISOString().slice(0, 10);
      const stopped = await patch({ status: "discontinued", reason: "Bradycardia at review" });
      expect(stopped.status).toBe(200);
      expect(stopped.body).toMatchObject({ status: "discontinued", is_active: false, status_reason: "Bradycardia at review", end_date: today > "2026-11-20" ? today : "2026-11-20" });
      expect(stopped.body.status_changed_at).toBeTruthy();
      const audit = await serviceQuery(async (tx) =>
        (await sql<{ details: Record<string, string> }>`select details from public.audit_log
           where action = 'prescription.status_changed' and details ->> 'prescription_id' = ${rx.id}`.execute(tx)).rows,
      );
      expect(audit.map((a) => a.details)).toEqual([expect.objectContaining({ status: "discontinued", previous: "active", reason: "Bradycardia at review" })]);

      const restarted = await patch({ is_active: true });
      expect(restarted.body).toMatchObject({ status: "active", is_active: true, status_reason: null });
      const completed = await patch({ status: "completed" });
      expect(completed.body).toMatchObject({ status: "completed", is_active: false });
      expect(completed.body.end_date).toBeTruthy();

      // the list carries status, and the active count on the dashboard agrees with the list
      const list = (await call(prescriptionsRoute.GET, { token: attending.accessToken, params: { id: patientId } })).body.data as { status: string; is_active: boolean }[];
      expect(list.every((r) => r.is_active === (r.status === "active"))).toBe(true);
      const dash = await call(patientsRoute.GET, { token: attending.accessToken, query: { limit: "100" } });
      const row = dash.body.data.find((p: { id: string }) => p.id === patientId);
      expect(Number(row.active_prescriptions)).toBe(list.filter((r) => r.status === "active").length);
    });

    it("renders a prescription PDF for readers only", async () => {
      const body = { medication: "Ibuprofen", dosage: "200 mg", frequency: "as needed", start_date: "2026-11-20" };
      const rx = await call(prescriptionsRoute.POST, { token: attending.accessToken, params: { id: patientId }, body });
      const pdf = await call(pdfRoute.GET, { token: patientUser.accessToken, params: { id: rx.body.id } });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get("content-type")).toBe("application/pdf");
      expect(pdf.bytes!.subarray(0, 5).toString()).toBe("%PDF-");
      expectError(await call(pdfRoute.GET, { token: otherPatientUser.accessToken, params: { id: rx.body.id } }), 404);
      expectError(await call(pdfRoute.GET, { token: outsider.accessToken, params: { id: rx.body.id } }), 404);
    });
  });

  describe("appointments", () => {
    const inDays = (d: number, h = 10) => new Date(Date.UTC(2030, 0, 1 + d, h)).toISOString();

    it("patients request, the care team confirms, and confirmed slots never overlap", async () => {
      const req = await call(appointmentsRoute.POST, {
        token: patientUser.accessToken,
        params: { id: patientId },
        body: { provider_id: attending.id, starts_at: inDays(1), ends_at: inDays(1, 11), reason: "Check-up" },
      });
      expect(req.status).toBe(201);
      expect(req.body.status).toBe("requested");
      const second = await call(appointmentsRoute.POST, {
        token: patientUser.accessToken,
        params: { id: patientId },
        body: { provider_id: attending.id, starts_at: inDays(1), ends_at: inDays(1, 11) },
      });
      expect(second.status).toBe(201);

      // the patient cannot confirm
      expectError(await call(appointmentRoute.PATCH, { token: patientUser.accessToken, method: "PATCH", params: { id: req.body.id }, body: { status: "confirmed" } }), 403);
      const confirmed = await call(appointmentRoute.PATCH, { token: attending.accessToken, method: "PATCH", params: { id: req.body.id }, body: { status: "confirmed" } });
      expect(confirmed.body.status).toBe("confirmed");
      // double booking refused by the database
      expectError(await call(appointmentRoute.PATCH, { token: attending.accessToken, method: "PATCH", params: { id: second.body.id }, body: { status: "confirmed" } }), 409);
      // a final state stays final
      expect((await call(appointmentRoute.PATCH, { token: patientUser.accessToken, method: "PATCH", params: { id: req.body.id }, body: { status: "cancelled" } })).status).toBe(200);
      expectError(await call(appointmentRoute.PATCH, { token: attending.accessToken, method: "PATCH", params: { id: req.body.id }, body: { status: "confirmed" } }), 422);
      // others see nothing
      expectError(await call(appointmentRoute.PATCH, { token: otherPatientUser.accessToken, method: "PATCH", params: { id: second.body.id }, body: { status: "cancelled" } }), 404);
    });

    it("refuses a provider off the care team and bad times", async () => {
      expectError(await call(appointmentsRoute.POST, { token: patientUser.accessToken, params: { id: patientId }, body: { provider_id: outsider.id, starts_at: inDays(2), ends_at: inDays(2, 11) } }), 422);
      expectError(await call(appointmentsRoute.POST, { token: patientUser.accessToken, params: { id: patientId }, body: { provider_id: attending.id, starts_at: inDays(2, 11), ends_at: inDays(2, 10) } }), 422);
      expectError(await call(appointmentsRoute.POST, { token: otherPatientUser.accessToken, params: { id: patientId }, body: { provider_id: attending.id, starts_at: inDays(2), ends_at: inDays(2, 11) } }), 404);
    });
  });
});
