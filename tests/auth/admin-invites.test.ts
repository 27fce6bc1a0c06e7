import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery } from "../support/seed";
import { call, STRONG_PASSWORD } from "./support";
import { withUser } from "@/core/db/with-user";
import { hashInviteCode } from "@/core/auth/invites";
import * as signupRoute from "@/app/api/v1/auth/signup/route";
import * as tokenRoute from "@/app/api/v1/auth/token/route";
import * as usersRoute from "@/app/api/v1/admin/users/route";
import * as activateRoute from "@/app/api/v1/admin/users/[id]/activate/route";
import * as deactivateRoute from "@/app/api/v1/admin/users/[id]/deactivate/route";
import * as providersRoute from "@/app/api/v1/admin/providers/route";
import * as verifyRoute from "@/app/api/v1/admin/providers/[id]/verify/route";
import * as inviteRoute from "@/app/api/v1/patients/[id]/invite/route";

const invite = (token: string, patientId: string, body?: unknown) =>
  call(inviteRoute.POST, `/api/v1/patients/${patientId}/invite`, { method: "POST", token, params: { id: patientId }, body });
/** date_of_birth: the seeded patients' (tests/support/seed.ts). */
const patientSignUp = (invite_code: string, email = `pt${Math.random().toString(36).slice(2)}@home.test`) =>
  call(signupRoute.POST, "/api/v1/auth/signup", { body: { email, password: STRONG_PASSWORD, full_name: "Pat Ient", role: "patient", invite_code, date_of_birth: "1980-04-02" } });

describe.each(engines)("admin and invites on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  describe("providers", () => {
    it("lists pending providers with license and specialty; verifying one gives them their care-team patients", async () => {
      const admin = await createUser("admin");
      const doc = await createUser("provider", { verified: false });
      const patient = await createPatient({ createdBy: admin.id });
      await addToCareTeam(patient, doc.id, "attending");
      const before = await withUser(doc.session, (tx) => tx.selectFrom("patients").select("id").execute());
      expect(before).toHaveLength(0);
      const pending = await call(providersRoute.GET, "/api/v1/admin/providers?status=pending", { token: admin.accessToken });
      expect(pending.status).toBe(200);
      const row = pending.body.data.find((p: { user_id: string }) => p.user_id === doc.id);
      expect(row).toMatchObject({ is_verified: false, specialty: "Family medicine" });
      expect(row.license_number).toMatch(/^LIC-/);
      const v = await call(verifyRoute.POST, `/api/v1/admin/providers/${doc.id}/verify`, { method: "POST", token: admin.accessToken, params: { id: doc.id } });
      expect(v.status).toBe(200);
      expect(v.body).toMatchObject({ user_id: doc.id, is_verified: true });
      const after = await withUser(doc.session, (tx) => tx.selectFrom("patients").select("id").execute());
      expect(after.map((r) => r.id)).toEqual([patient]);
      const stillPending = await call(providersRoute.GET, "/api/v1/admin/providers?status=pending", { token: admin.accessToken });
      expect(stillPending.body.data.map((p: { user_id: string }) => p.user_id)).not.toContain(doc.id);
      const stored = await serviceQuery((tx) => tx.selectFrom("providers").select("verified_by").where("user_id", "=", doc.id).executeTakeFirstOrThrow());
      expect(stored.verified_by).toBe(admin.id);
      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select(["actor_id", "record_id"]).where("action", "=", "auth.provider_verified").execute());
      expect(audit).toContainEqual({ actor_id: admin.id, record_id: doc.id });
    });

    it("verifying an unknown id is 404, a malformed one 400", async () => {
      const admin = await createUser("admin");
      const id = "00000000-0000-4000-8000-000000000001";
      expect((await call(verifyRoute.POST, `/api/v1/admin/providers/${id}/verify`, { method: "POST", token: admin.accessToken, params: { id } })).status).toBe(404);
      expect((await call(verifyRoute.POST, "/api/v1/admin/providers/x/verify", { method: "POST", token: admin.accessToken, params: { id: "x" } })).status).toBe(400);
    });
  });

  describe("users", () => {
    it("admins create admins (and only admins can); the new admin signs in", async () => {
      const admin = await createUser("admin");
      const res = await call(usersRoute.POST, "/api/v1/admin/users", {
        token: admin.accessToken,
        body: { email: "second.admin@clinic.test", password: STRONG_PASSWORD, full_name: "Second Admin", role: "admin" },
      });
      expect(res.status).toBe(201);
      expect(res.body.user).toMatchObject({ role: "admin", email: "second.admin@clinic.test" });
      const patientRole = await call(usersRoute.POST, "/api/v1/admin/users", {
        token: admin.accessToken,
        body: { email: "p@clinic.test", password: STRONG_PASSWORD, full_name: "P", role: "patient" },
      });
      expect(patientRole.status).toBe(422);
      const signIn = await call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: "second.admin@clinic.test", password: STRONG_PASSWORD } });
      expect(signIn.status).toBe(200);
      expect(signIn.body.user.role).toBe("admin");
    });

    it("lists users with filters; deactivates and reactivates; refuses deactivating oneself", async () => {
      const admin = await createUser("admin");
      const doc = await createUser("provider");
      const list = await call(usersRoute.GET, "/api/v1/admin/users?role=provider&limit=200", { token: admin.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.data.every((u: { role: string }) => u.role === "provider")).toBe(true);
      expect(list.body.data.map((u: { id: string }) => u.id)).toContain(doc.id);
      expect(list.body.count).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(list.body)).not.toContain("argon2");
      const self = await call(deactivateRoute.POST, `/api/v1/admin/users/${admin.id}/deactivate`, { method: "POST", token: admin.accessToken, params: { id: admin.id } });
      expect(self.status).toBe(409);
      expect((await call(deactivateRoute.POST, `/api/v1/admin/users/${doc.id}/deactivate`, { method: "POST", token: admin.accessToken, params: { id: doc.id } })).body.is_active).toBe(false);
      const inactive = await call(usersRoute.GET, "/api/v1/admin/users?status=inactive", { token: admin.accessToken });
      expect(inactive.body.data.map((u: { id: string }) => u.id)).toContain(doc.id);
      expect((await call(activateRoute.POST, `/api/v1/admin/users/${doc.id}/activate`, { method: "POST", token: admin.accessToken, params: { id: doc.id } })).body.is_active).toBe(true);
    });
  });

  describe("invites", () => {
    it("a care-team member invites; the patient signs up with the code and is linked to the record", async () => {
      const doc = await createUser("provider");
      const patient = await createPatient({ createdBy: doc.id });
      const inv = await invite(doc.accessToken, patient);
      expect(inv.status).toBe(201);
      expect(inv.body.invite_code).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
      expect(inv.body.invite_url).toBe(`http://localhost/sign-up#invite_code=${inv.body.invite_code}`);
      const hours = (Date.parse(inv.body.expires_at) - Date.now()) / 3600_000;
      expect(hours).toBeGreaterThan(71.9);
      expect(hours).toBeLessThanOrEqual(72);
      const stored = await serviceQuery((tx) => tx.selectFrom("invites").selectAll().where("patient_id", "=", patient).executeTakeFirstOrThrow());
      expect(stored.code_hash).toBe(hashInviteCode(inv.body.invite_code));
      expect(JSON.stringify(stored)).not.toContain(inv.body.invite_code);

      const joined = await patientSignUp(inv.body.invite_code.toLowerCase());
      expect(joined.status).toBe(201);
      expect(joined.body.user.role).toBe("patient");
      const link = await serviceQuery((tx) => tx.selectFrom("patients").select("user_id").where("id", "=", patient).executeTakeFirstOrThrow());
      expect(link.user_id).toBe(joined.body.user.id);
      const signedIn = await call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: joined.body.user.email, password: STRONG_PASSWORD } });
      expect(signedIn.status).toBe(200);
      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select(["action", "patient_id"]).where("action", "in", ["auth.invite_created", "auth.invite_redeemed"]).where("patient_id", "=", patient).execute());
      expect(audit.map((a) => a.action).sort()).toEqual(["auth.invite_created", "auth.invite_redeemed"]);
    });

    it("used, expired and unknown codes get the same 400; nothing is created", async () => {
      const doc = await createUser("provider");
      const patient = await createPatient({ createdBy: doc.id });
      const used = (await invite(doc.accessToken, patient)).body.invite_code;
      expect((await patientSignUp(used)).status).toBe(201);
      const patient2 = await createPatient({ createdBy: doc.id });
      const expiring = (await invite(doc.accessToken, patient2)).body.invite_code;
      await serviceQuery((tx) =>
        tx.updateTable("invites").set({ created_at: new Date(Date.now() - 100 * 3600_000), expires_at: new Date(Date.now() - 1000) }).where("code_hash", "=", hashInviteCode(expiring)).execute(),
      );
      const answers = [];
      for (const code of [used, expiring, "AAAA-BBBB-CCCC-DDDD"]) {
        const email = `again${Math.random().toString(36).slice(2)}@home.test`;
        const r = await patientSignUp(code, email);
        answers.push(r.body);
        expect(r.status).toBe(400);
        const created = await serviceQuery((tx) => tx.selectFrom("auth.users").select("id").where("email", "=", email).execute());
        expect(created).toHaveLength(0);
      }
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
      expect(answers[0].error.code).toBe("invalid_invite");
    });

    it("someone off the care team gets 404; a patient cannot invite; the admin (aal2) can", async () => {
      const doc = await createUser("provider");
      const outsider = await createUser("provider");
      const patient = await createPatient({ createdBy: doc.id });
      expect((await invite(outsider.accessToken, patient)).status).toBe(404);
      const pt = await createUser("patient");
      expect((await invite(pt.accessToken, patient)).status).toBe(404);
      const admin = await createUser("admin");
      expect((await invite(admin.accessToken, patient)).status).toBe(201);
      const count = await serviceQuery((tx) => tx.selectFrom("invites").select("created_by").where("patient_id", "=", patient).execute());
      expect(count.map((c) => c.created_by)).toEqual([admin.id]);
    });

    it("invite redemption is rate limited per IP", async () => {
      const ip = "198.51.100.9";
      let status = 0;
      for (let i = 0; i < 11; i++) {
        status = (await call(signupRoute.POST, "/api/v1/auth/signup", { ip, body: { email: `g${i}@home.test`, password: STRONG_PASSWORD, full_name: "G", role: "patient", invite_code: `ZZZZ-ZZZZ-ZZZZ-ZZ${i}Z`, date_of_birth: "1980-04-02" } })).status;
      }
      expect(status).toBe(429);
    });
  });
});
