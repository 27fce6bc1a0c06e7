/**
 * Issue #15, item 1: a provider's credential. Admins record it (PUT
 * /api/v1/admin/providers/{id}/credential) and see it in the user list; admin-created
 * providers must name one; it decides prescribing from the next request on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { call } from "../support/http";
import { STRONG_PASSWORD } from "../auth/support";
import { sql } from "kysely";
import * as credentialRoute from "@/app/api/v1/admin/providers/[id]/credential/route";
import * as usersRoute from "@/app/api/v1/admin/users/route";
import * as prescriptionsRoute from "@/app/api/v1/patients/[id]/prescriptions/route";

describe.each(engines)("provider credentials on %s", (engine) => {
  let t: TestDatabase;
  let admin: TestUser, nurse: TestUser, doctor: TestUser;
  let patientId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    admin = await createUser("admin");
    nurse = await createUser("provider", { credential: "registered_nurse" });
    doctor = await createUser("provider");
    patientId = await createPatient({ createdBy: nurse.id });
    await addToCareTeam(patientId, doctor.id, "specialist");
  });
  afterAll(async () => {
    await t?.drop();
  });

  const put = (id: string, body: unknown, token = admin.accessToken) => call(credentialRoute.PUT, { token, method: "PUT", params: { id }, body });
  const prescribe = (who: TestUser) =>
    call(prescriptionsRoute.POST, { token: who.accessToken, params: { id: patientId }, body: { medication: "Metformin", dosage: "500 mg", frequency: "twice daily", start_date: "2026-11-20" } });

  it("lets an admin record a credential, which decides prescribing from the next request; audited", async () => {
    expect((await prescribe(nurse)).status).toBe(403);
    const r = await put(nurse.id, { credential: "nurse_practitioner" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ user_id: nurse.id, credential: "nurse_practitioner" });
    expect((await prescribe(nurse)).status).toBe(201);
    const audit = await serviceQuery(async (tx) =>
      (await sql<{ details: Record<string, string> }>`select details from public.audit_log
         where action = 'auth.provider_credential_changed' and record_id = ${nurse.id}`.execute(tx)).rows,
    );
    expect(audit.map((a) => a.details)).toEqual([expect.objectContaining({ credential: "nurse_practitioner", previous: "registered_nurse" })]);
    expect((await put(nurse.id, { credential: "registered_nurse" })).status).toBe(200);
    expect((await prescribe(nurse)).status).toBe(403);
  });

  it("refuses everyone else, unknown providers and unknown credentials", async () => {
    expect((await put(nurse.id, { credential: "physician" }, nurse.accessToken)).status).toBe(403);
    expect((await put(nurse.id, { credential: "physician" }, doctor.accessToken)).status).toBe(403);
    const weakAdmin = await createUser("admin", { aal: "aal1" });
    const weak = await put(nurse.id, { credential: "physician" }, weakAdmin.accessToken);
    expect(weak.status).toBe(403);
    expect(weak.body.error.code).toBe("mfa_required");
    expect((await put(randomUUID(), { credential: "physician" })).status).toBe(404);
    expect((await put(admin.id, { credential: "physician" })).status).toBe(404);
    const bad = await put(nurse.id, { credential: "surgeon" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields).toHaveProperty("credential");
    expect((await prescribe(nurse)).status).toBe(403);
  });

  it("shows the credential in the admin user list, and admin-created providers must name one", async () => {
    const list = await call(usersRoute.GET, { token: admin.accessToken, query: { role: "provider", limit: "200" } });
    expect(list.body.data.find((u: { id: string }) => u.id === doctor.id).credential).toBe("physician");
    const base = { email: `pa-${randomUUID().slice(0, 8)}@clinic.test`, password: STRONG_PASSWORD, full_name: "Pat Assistant", role: "provider", license_number: "PA-1", specialty: "Family medicine" };
    const missing = await call(usersRoute.POST, { token: admin.accessToken, body: base });
    expect(missing.status).toBe(422);
    expect(missing.body.error.fields).toHaveProperty("credential");
    const created = await call(usersRoute.POST, { token: admin.accessToken, body: { ...base, credential: "physician_assistant" } });
    expect(created.status).toBe(201);
    const after = await call(usersRoute.GET, { token: admin.accessToken, query: { role: "provider", limit: "200" } });
    expect(after.body.data.find((u: { id: string }) => u.id === created.body.user.id).credential).toBe("physician_assistant");
  });
});
