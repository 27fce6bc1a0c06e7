/**
 * Security notices (issue #14, part 3): the account's owner is told, at the account's own
 * address, when its password changes, two-factor sign-in is turned on or reset, or someone
 * tries to sign up with it; the notice is written in the event's transaction, so a refused
 * event leaves none.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, TEST_PASSWORD } from "../support/seed";
import { call, STRONG_PASSWORD, totpNow } from "./support";
import * as passwordRoute from "@/app/api/v1/auth/password/route";
import * as enrollRoute from "@/app/api/v1/auth/mfa/enroll/route";
import * as verifyMfaRoute from "@/app/api/v1/auth/mfa/verify/route";
import * as resetMfaRoute from "@/app/api/v1/admin/users/[id]/mfa/reset/route";
import * as signupRoute from "@/app/api/v1/auth/signup/route";
import * as inviteRoute from "@/app/api/v1/patients/[id]/invite/route";

const outbox = () =>
  serviceQuery(async (tx) => (await sql<{ kind: string; to_address: string }>`select kind, to_address from app.mail_outbox order by created_at`.execute(tx)).rows);

describe.each(engines)("security notices by mail, %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t.drop();
  });
  beforeEach(async () => {
    await serviceQuery((tx) => sql`delete from app.mail_outbox`.execute(tx));
  });

  it("a password change tells the owner; a refused one tells nobody", async () => {
    const user = await createUser("patient");
    const wrong = await call(passwordRoute.POST, "/api/v1/auth/password", { token: user.accessToken, body: { current_password: "not the password", new_password: STRONG_PASSWORD } });
    expect(wrong.status).toBe(401);
    expect(await outbox()).toEqual([]);
    const ok = await call(passwordRoute.POST, "/api/v1/auth/password", { token: user.accessToken, body: { current_password: TEST_PASSWORD, new_password: STRONG_PASSWORD } });
    expect(ok.status).toBe(200);
    expect(await outbox()).toEqual([{ kind: "password_changed", to_address: user.email }]);
  });

  it("turning two-factor sign-in on tells the owner, and an admin's reset of it too", async () => {
    const user = await createUser("provider");
    const enrol = await call(enrollRoute.POST, "/api/v1/auth/mfa/enroll", { token: user.accessToken, body: {} });
    expect(enrol.status).toBe(200);
    expect(await outbox()).toEqual([]);
    const verified = await call(verifyMfaRoute.POST, "/api/v1/auth/mfa/verify", { token: user.accessToken, body: { code: totpNow(enrol.body.secret) } });
    expect(verified.status).toBe(200);
    expect(await outbox()).toEqual([{ kind: "mfa_enabled", to_address: user.email }]);

    const admin = await createUser("admin");
    const reset = await call(resetMfaRoute.POST, `/api/v1/admin/users/${user.id}/mfa/reset`, { token: admin.accessToken, params: { id: user.id }, body: { reason: "Lost phone, called the front desk" } });
    expect(reset.status).toBe(200);
    expect(await outbox()).toEqual([
      { kind: "mfa_enabled", to_address: user.email },
      { kind: "mfa_reset", to_address: user.email },
    ]);
  });

  it("a sign-up with a registered address tells that address's owner, never the caller; a new sign-up gets only its address's confirmation link", async () => {
    const existing = await createUser("provider");
    const body = (email: string) => ({ email, password: STRONG_PASSWORD, full_name: "Dr Maybe New", role: "provider", credential: "physician", license_number: "MD-4242", specialty: "Cardiology" });
    const dup = await call(signupRoute.POST, "/api/v1/auth/signup", { body: body(existing.email) });
    const freshEmail = `new-${Date.now()}@home.test`;
    const fresh = await call(signupRoute.POST, "/api/v1/auth/signup", { body: body(freshEmail) });
    expect(dup.status).toBe(201);
    expect(fresh.status).toBe(201);
    expect(await outbox()).toEqual([
      { kind: "sign_up_duplicate", to_address: existing.email },
      { kind: "verify_email", to_address: freshEmail },
    ]);
    await serviceQuery((tx) => sql`delete from app.mail_outbox where kind = 'verify_email'`.execute(tx));

    // the patient path: a right invite and date of birth, but the email has an account
    const doc = await createUser("provider");
    const patientId = await createPatient({ createdBy: doc.id });
    const invite = await call(inviteRoute.POST, `/api/v1/patients/${patientId}/invite`, { method: "POST", token: doc.accessToken, params: { id: patientId } });
    const patientDup = await call(signupRoute.POST, "/api/v1/auth/signup", {
      body: { email: existing.email, password: STRONG_PASSWORD, full_name: "Mallory", role: "patient", invite_code: invite.body.invite_code, date_of_birth: "1980-04-02" },
    });
    expect(patientDup.status).toBe(201);
    expect(await outbox()).toEqual([
      { kind: "sign_up_duplicate", to_address: existing.email },
      { kind: "sign_up_duplicate", to_address: existing.email },
    ]);
  });
});
