import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, createPatient, serviceQuery, TEST_PASSWORD } from "../support/seed";
import { call, totpNow } from "./support";
import { decryptSecret } from "@/core/auth/mfa";
import * as tokenRoute from "@/app/api/v1/auth/token/route";
import * as userRoute from "@/app/api/v1/auth/user/route";
import * as enrollRoute from "@/app/api/v1/auth/mfa/enroll/route";
import * as verifyMfaRoute from "@/app/api/v1/auth/mfa/verify/route";
import * as usersRoute from "@/app/api/v1/admin/users/route";
import * as settingsRoute from "@/app/api/v1/admin/settings/route";
import * as inviteRoute from "@/app/api/v1/patients/[id]/invite/route";
import * as resetMfaRoute from "@/app/api/v1/admin/users/[id]/mfa/reset/route";

const signIn = (email: string, extra: Record<string, string> = {}) =>
  call(tokenRoute.POST, "/api/v1/auth/token", { body: { email, password: TEST_PASSWORD, ...extra } });

async function enrolAndVerify(token: string) {
  const enrol = await call(enrollRoute.POST, "/api/v1/auth/mfa/enroll", { method: "POST", token });
  expect(enrol.status).toBe(200);
  const verified = await call(verifyMfaRoute.POST, "/api/v1/auth/mfa/verify", { token, body: { code: totpNow(enrol.body.secret) } });
  expect(verified.status).toBe(200);
  return { enrol: enrol.body, verified: verified.body };
}

describe.each(engines)("MFA on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("enrols: base32 secret, otpauth URL, a locally rendered QR code, ten recovery codes; the secret is encrypted at rest", async () => {
    const u = await createUser("provider");
    const res = await call(enrollRoute.POST, "/api/v1/auth/mfa/enroll", { method: "POST", token: u.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(res.body.otpauth_url).toMatch(/^otpauth:\/\/totp\/Carebase:.*secret=[A-Z2-7]+.*(algorithm=SHA1|digits=6|period=30)/);
    expect(res.body.qr_svg).toMatch(/^<svg/);
    expect(res.body.recovery_codes).toHaveLength(10);
    const row = await serviceQuery((tx) => tx.selectFrom("auth.mfa_factors").selectAll().where("user_id", "=", u.id).executeTakeFirstOrThrow());
    expect(row.secret_enc).not.toContain(res.body.secret);
    expect(decryptSecret(row.secret_enc)).toBe(res.body.secret);
    expect(row.enabled_at).toBeNull();
    const codes = await serviceQuery((tx) => tx.selectFrom("auth.recovery_codes").select("code_hash").where("user_id", "=", u.id).execute());
    expect(JSON.stringify(codes)).not.toContain(res.body.recovery_codes[0].replace(/-/g, ""));
  });

  it("verify turns MFA on and upgrades to aal2 with a new pair; the old session dies", async () => {
    const u = await createUser("patient");
    const enrol = (await call(enrollRoute.POST, "/api/v1/auth/mfa/enroll", { method: "POST", token: u.accessToken })).body;
    const bad = await call(verifyMfaRoute.POST, "/api/v1/auth/mfa/verify", { token: u.accessToken, body: { code: "000000" } });
    expect(bad.status).toBe(401);
    const ok = await call(verifyMfaRoute.POST, "/api/v1/auth/mfa/verify", { token: u.accessToken, body: { code: totpNow(enrol.secret) } });
    expect(ok.status).toBe(200);
    expect(ok.body.user.mfa_enabled).toBe(true);
    const claims = JSON.parse(Buffer.from(ok.body.access_token.split(".")[1], "base64url").toString());
    expect(claims.aal).toBe("aal2");
    expect((await call(userRoute.GET, "/api/v1/auth/user", { token: u.accessToken })).status).toBe(401);
    expect((await call(userRoute.GET, "/api/v1/auth/user", { token: ok.body.access_token })).body.mfa_enabled).toBe(true);
    // enrolling again while on is a conflict (it would replace the secret)
    expect((await call(enrollRoute.POST, "/api/v1/auth/mfa/enroll", { method: "POST", token: ok.body.access_token })).status).toBe(409);
  });

  it("sign-in then needs a code: 401 mfa_required, wrong code 401, right code aal2, a code is never accepted twice", async () => {
    const u = await createUser("provider");
    const { enrol } = await enrolAndVerify(u.accessToken);
    const without = await signIn(u.email);
    expect(without.status).toBe(401);
    expect(without.body.error.code).toBe("mfa_required");
    expect((await signIn(u.email, { totp_code: "123456" })).status).toBe(401);
    // the verify step spent the current step's code: wait for a fresh one is slow, so use the next window's code
    const next = totpNow(enrol.secret, 1);
    const ok = await signIn(u.email, { totp_code: next });
    expect(ok.status).toBe(200);
    expect(JSON.parse(Buffer.from(ok.body.access_token.split(".")[1], "base64url").toString()).aal).toBe("aal2");
    const replay = await signIn(u.email, { totp_code: next });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("invalid_mfa_code");
  });

  it("a recovery code works once", async () => {
    const u = await createUser("patient");
    const { enrol } = await enrolAndVerify(u.accessToken);
    const code = enrol.recovery_codes[3];
    const ok = await signIn(u.email, { recovery_code: code.toLowerCase() });
    expect(ok.status).toBe(200);
    expect((await signIn(u.email, { recovery_code: code })).status).toBe(401);
    const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select("actor_id").where("action", "=", "auth.recovery_code_used").execute());
    expect(audit.map((a) => a.actor_id)).toContain(u.id);
  });

  it("an admin who turns MFA on can use the admin endpoints", async () => {
    const admin = await createUser("admin", { aal: "aal1" });
    expect((await call(usersRoute.GET, "/api/v1/admin/users", { token: admin.accessToken })).body.error.code).toBe("mfa_required");
    const { verified } = await enrolAndVerify(admin.accessToken);
    const list = await call(usersRoute.GET, "/api/v1/admin/users", { token: verified.access_token });
    expect(list.status).toBe(200);
    expect(list.body.data.find((r: { id: string }) => r.id === admin.id)).toMatchObject({ mfa_enabled: true, role: "admin" });
  });

  it("the clinic can require MFA of providers: a provider without it is held to the account endpoints", async () => {
    const admin = await createUser("admin");
    const on = await call(settingsRoute.PATCH, "/api/v1/admin/settings", { method: "PATCH", token: admin.accessToken, body: { require_mfa_for_providers: true } });
    expect(on.status).toBe(200);
    expect(on.body.require_mfa_for_providers).toBe(true);
    const doc = await createUser("provider");
    const patient = await createPatient({ createdBy: doc.id });
    const signedIn = await signIn(doc.email);
    expect(signedIn.status).toBe(200);
    const token = signedIn.body.access_token;
    const me = await call(userRoute.GET, "/api/v1/auth/user", { token });
    expect(me.status).toBe(200);
    expect(me.body.mfa_pending).toBe(true);
    const blocked = await call(inviteRoute.POST, `/api/v1/patients/${patient}/invite`, { method: "POST", token, params: { id: patient } });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe("mfa_required");
    const { verified } = await enrolAndVerify(token);
    const allowed = await call(inviteRoute.POST, `/api/v1/patients/${patient}/invite`, { method: "POST", token: verified.access_token, params: { id: patient } });
    expect(allowed.status).toBe(201);
    await call(settingsRoute.PATCH, "/api/v1/admin/settings", { method: "PATCH", token: admin.accessToken, body: { require_mfa_for_providers: false } });
  });
  describe("admin reset of another account's MFA (a lost phone)", () => {
    const reset = (token: string, id: string, body: unknown = { reason: "Lost phone, identity checked at the desk" }) =>
      call(resetMfaRoute.POST, `/api/v1/admin/users/${id}/mfa/reset`, { method: "POST", token, params: { id }, body });

    it("removes the factor and recovery codes, signs the account out everywhere, and is audited", async () => {
      const admin = await createUser("admin");
      const doc = await createUser("provider");
      const { enrol, verified } = await enrolAndVerify(doc.accessToken);
      const second = (await signIn(doc.email, { recovery_code: enrol.recovery_codes[0] })).body;
      expect(second.access_token).toBeTruthy();

      const res = await reset(admin.accessToken, doc.id);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: doc.id, mfa_enabled: false, revoked_sessions: 2 });
      // both sessions are dead, access and refresh
      for (const pair of [verified, second]) expect((await call(userRoute.GET, "/api/v1/auth/user", { token: pair.access_token })).status).toBe(401);
      // the password alone signs in again (aal1), and the account shows no MFA
      const back = await signIn(doc.email);
      expect(back.status).toBe(200);
      expect(back.body.user.mfa_enabled).toBe(false);
      expect(await serviceQuery((tx) => tx.selectFrom("auth.recovery_codes").select("user_id").where("user_id", "=", doc.id).execute())).toEqual([]);
      // the old recovery codes and TOTP are gone with the factor: they no longer mean anything
      const audit = await serviceQuery((tx) =>
        tx.selectFrom("audit_log").select(["actor_id", "details"]).where("action", "=", "auth.mfa_reset").where("actor_id", "=", admin.id).execute(),
      );
      expect(audit).toHaveLength(1);
      expect(audit[0].details).toMatchObject({ sessions_revoked: 2, reason: "Lost phone, identity checked at the desk" });
      // nothing to reset twice
      expect((await reset(admin.accessToken, doc.id)).body.error.code).toBe("mfa_not_enrolled");
    });

    it("is for admins with MFA only, not for one's own factor, and needs a reason", async () => {
      const admin = await createUser("admin");
      const weakAdmin = await createUser("admin", { aal: "aal1" });
      const doc = await createUser("provider");
      const target = await createUser("provider");
      await enrolAndVerify(target.accessToken);

      expect((await reset(doc.accessToken, target.id)).status).toBe(403);
      const weak = await reset(weakAdmin.accessToken, target.id);
      expect(weak.status).toBe(403);
      expect(weak.body.error.code).toBe("mfa_required");
      const self = await reset(admin.accessToken, admin.id);
      expect(self.status).toBe(409);
      expect(self.body.error.code).toBe("cannot_reset_own_mfa");
      expect((await reset(admin.accessToken, target.id, {})).status).toBe(400);
      const shortReason = await reset(admin.accessToken, target.id, { reason: "x" });
      expect(shortReason.status).toBe(422);
      expect(shortReason.body.error.fields.reason).toBeTruthy();
      expect((await reset(admin.accessToken, crypto.randomUUID())).status).toBe(404);
      // none of the refusals touched the factor
      const factor = await serviceQuery((tx) => tx.selectFrom("auth.mfa_factors").select("enabled_at").where("user_id", "=", target.id).executeTakeFirst());
      expect(factor?.enabled_at).not.toBeNull();
    });
  });
});
