import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, TEST_PASSWORD } from "../support/seed";
import { call, randomIp, STRONG_PASSWORD, totpNow } from "./support";
import * as passwords from "@/core/auth/passwords";
import * as signupRoute from "@/app/api/v1/auth/signup/route";
import * as tokenRoute from "@/app/api/v1/auth/token/route";
import * as userRoute from "@/app/api/v1/auth/user/route";
import * as passwordRoute from "@/app/api/v1/auth/password/route";
import * as enrollRoute from "@/app/api/v1/auth/mfa/enroll/route";
import * as verifyMfaRoute from "@/app/api/v1/auth/mfa/verify/route";
import * as inviteRoute from "@/app/api/v1/patients/[id]/invite/route";

// Count argon2 work: a locked-out guesser must cost none.
vi.mock("@/core/auth/passwords", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/core/auth/passwords")>();
  return { ...real, hashPassword: vi.fn(real.hashPassword), verifyPassword: vi.fn(real.verifyPassword) };
});
const hashed = () => vi.mocked(passwords.hashPassword).mock.calls.length;
const verified = () => vi.mocked(passwords.verifyPassword).mock.calls.length;

/** The seeded patients' date of birth (tests/support/seed.ts). */
const DOB = "1980-04-02";

const me = (token: string) => call(userRoute.GET, "/api/v1/auth/user", { token });
const changePassword = (token: string, current_password: string, new_password = STRONG_PASSWORD) =>
  call(passwordRoute.POST, "/api/v1/auth/password", { token, body: { current_password, new_password } });
const signIn = (email: string, password = TEST_PASSWORD) => call(tokenRoute.POST, "/api/v1/auth/token", { body: { email, password } });
const newEmail = (what: string) => `${what}-${Math.random().toString(36).slice(2)}@home.test`;
const providerSignUp = (email: string, extra: Record<string, string> = {}) =>
  call(signupRoute.POST, "/api/v1/auth/signup", {
    body: { email, password: STRONG_PASSWORD, full_name: "Dr Maybe New", role: "provider", credential: "physician", license_number: "MD-4242", specialty: "Cardiology", ...extra },
  });
const patientSignUp = (invite_code: string, date_of_birth: string, email = newEmail("pt"), ip?: string) =>
  call(signupRoute.POST, "/api/v1/auth/signup", { ip, body: { email, password: STRONG_PASSWORD, full_name: "Mallory", role: "patient", invite_code, date_of_birth } });

/** A six-digit code that is not the authenticator's for this, the previous or the next time step. */
function wrongCode(secret: string): string {
  const near = new Set([-1, 0, 1].map((o) => totpNow(secret, o)));
  for (let n = 0; ; n++) {
    const c = String((123457 + n * 7919) % 1_000_000).padStart(6, "0");
    if (!near.has(c)) return c;
  }
}

async function invitedPatient(): Promise<{ patientId: string; code: string }> {
  const doc = await createUser("provider");
  const patientId = await createPatient({ createdBy: doc.id });
  const res = await call(inviteRoute.POST, `/api/v1/patients/${patientId}/invite`, { method: "POST", token: doc.accessToken, params: { id: patientId } });
  expect(res.status).toBe(201);
  return { patientId, code: res.body.invite_code };
}

const linkedUser = (patientId: string) =>
  serviceQuery((tx) => tx.selectFrom("patients").select("user_id").where("id", "=", patientId).executeTakeFirstOrThrow()).then((r) => r.user_id);

describe.each(engines)("side doors closed (issue #12), %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });
  beforeEach(() => {
    vi.mocked(passwords.hashPassword).mockClear();
    vi.mocked(passwords.verifyPassword).mockClear();
  });

  describe("bodies are capped as they stream", () => {
    it("an endless chunked body to the open sign-in endpoint gets 413 after little more than the cap", async () => {
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += 65536;
          controller.enqueue(new Uint8Array(65536).fill(0x20));
        },
      });
      const req = new Request("http://localhost/api/v1/auth/token", {
        method: "POST",
        headers: { "content-type": "application/json", "x-carebase-client-ip": randomIp() },
        body,
        duplex: "half",
      } as RequestInit);
      const res = await tokenRoute.POST(req, { params: Promise.resolve({}) });
      expect(res.status).toBe(413);
      expect((await res.json()).error.code).toBe("payload_too_large");
      expect(pulled).toBeLessThanOrEqual(256 * 1024 + 2 * 65536);
    });
  });

  describe("guessing the current password is throttled", () => {
    it("after 10 wrong current passwords: 429 with Retry-After, even for the right one, and no argon2 for it", async () => {
      const u = await createUser("patient");
      for (let i = 0; i < 10; i++) {
        const r = await changePassword(u.accessToken, `wrong guess ${i}`);
        expect(r.status).toBe(401);
        expect(r.body.error.code).toBe("invalid_credentials");
      }
      expect(verified()).toBe(10);
      const locked = await changePassword(u.accessToken, TEST_PASSWORD);
      expect(locked.status).toBe(429);
      expect(locked.body.error.code).toBe("rate_limited");
      const retry = Number(locked.headers.get("retry-after"));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(900);
      expect(verified()).toBe(10);
      // the password did not change
      expect((await signIn(u.email)).status).toBe(200);
      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select("details").where("action", "=", "auth.rate_limited").execute());
      expect(audit.map((a) => a.details)).toContainEqual(expect.objectContaining({ bucket: "secret_account" }));
    });

    it("counts wrong answers only: a right one in between is not counted", async () => {
      const u = await createUser("provider");
      for (let i = 0; i < 9; i++) expect((await changePassword(u.accessToken, `nope ${i}`)).status).toBe(401);
      expect((await changePassword(u.accessToken, TEST_PASSWORD, STRONG_PASSWORD)).status).toBe(200);
      expect((await changePassword(u.accessToken, "nope again")).status).toBe(401); // the 10th wrong one
      expect((await changePassword(u.accessToken, "and again")).status).toBe(429);
    });

    it("is per account: another account is not held back", async () => {
      const a = await createUser("patient");
      const b = await createUser("patient");
      for (let i = 0; i < 10; i++) await changePassword(a.accessToken, `wrong ${i}`);
      expect((await changePassword(a.accessToken, "wrong once more")).status).toBe(429);
      expect((await changePassword(b.accessToken, "wrong but first")).status).toBe(401);
    });
  });

  describe("MFA verification", () => {
    it("after 10 wrong codes: 429 with Retry-After, even for the right code; MFA stays off", async () => {
      const u = await createUser("provider");
      const enrol = (await call(enrollRoute.POST, "/api/v1/auth/mfa/enroll", { method: "POST", token: u.accessToken })).body;
      for (let i = 0; i < 10; i++) {
        const r = await call(verifyMfaRoute.POST, "/api/v1/auth/mfa/verify", { token: u.accessToken, body: { code: wrongCode(enrol.secret) } });
        expect(r.status).toBe(401);
      }
      const locked = await call(verifyMfaRoute.POST, "/api/v1/auth/mfa/verify", { token: u.accessToken, body: { code: totpNow(enrol.secret) } });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
      const factor = await serviceQuery((tx) => tx.selectFrom("auth.mfa_factors").select("enabled_at").where("user_id", "=", u.id).executeTakeFirstOrThrow());
      expect(factor.enabled_at).toBeNull();
    });

    it("turning MFA on signs out every other session of the account, not other accounts'", async () => {
      const u = await createUser("patient");
      const other = (await signIn(u.email)).body; // e.g. a stolen password's session
      const third = (await signIn(u.email)).body;
      const bystander = await createUser("patient");
      expect((await me(other.access_token)).status).toBe(200);

      const enrol = (await call(enrollRoute.POST, "/api/v1/auth/mfa/enroll", { method: "POST", token: u.accessToken })).body;
      const ok = await call(verifyMfaRoute.POST, "/api/v1/auth/mfa/verify", { token: u.accessToken, body: { code: totpNow(enrol.secret) } });
      expect(ok.status).toBe(200);

      expect((await me(other.access_token)).status).toBe(401);
      expect((await me(third.access_token)).status).toBe(401);
      expect((await me(u.accessToken)).status).toBe(401); // replaced by the aal2 session
      expect((await me(ok.body.access_token)).status).toBe(200);
      expect((await me(bystander.accessToken)).status).toBe(200);
      const reasons = await serviceQuery((tx) =>
        tx.selectFrom("auth.sessions").select(["id", "revoke_reason"]).where("user_id", "=", u.id).where("revoked_at", "is not", null).execute(),
      );
      expect(reasons.filter((r) => r.revoke_reason === "mfa_enabled")).toHaveLength(2);
      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select("details").where("action", "=", "auth.mfa_enabled").where("actor_id", "=", u.id).execute());
      expect(audit).toHaveLength(1);
      expect(audit[0].details).toMatchObject({ revoked_sessions: 2 });
    });
  });

  describe("provider sign-up says nothing about which emails have accounts", () => {
    it("an already-registered email gets the answer a new one gets; nothing is created or changed", async () => {
      const existing = await createUser("provider");
      const usersBefore = await serviceQuery((tx) => tx.selectFrom("auth.users").select("id").execute());

      const fresh = await providerSignUp(newEmail("dr"));
      const hashesForNew = hashed();
      const dup = await providerSignUp(existing.email.toUpperCase());

      expect(dup.status).toBe(fresh.status);
      expect(dup.status).toBe(201);
      expect(Object.keys(dup.body.user).sort()).toEqual(Object.keys(fresh.body.user).sort());
      expect(dup.body.user).toMatchObject({ email: existing.email, role: "provider", full_name: "Dr Maybe New", verified: false, mfa_enabled: false });
      expect(dup.body.user.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(dup.body.user.id).not.toBe(existing.id);
      expect(hashed() - hashesForNew).toBe(hashesForNew); // the password is hashed on both paths

      const usersAfter = await serviceQuery((tx) => tx.selectFrom("auth.users").select("id").execute());
      expect(usersAfter).toHaveLength(usersBefore.length + 1); // only the new one
      expect((await signIn(existing.email)).status).toBe(200);
      expect((await signIn(existing.email, STRONG_PASSWORD)).status).toBe(401);
      const provider = await serviceQuery((tx) => tx.selectFrom("providers").select(["license_number", "specialty"]).where("user_id", "=", existing.id).executeTakeFirstOrThrow());
      expect(provider.license_number).not.toBe("MD-4242");

      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select(["record_id", "details"]).where("action", "=", "auth.sign_up_duplicate").execute());
      expect(audit).toContainEqual({ record_id: existing.id, details: expect.objectContaining({ role: "provider" }) });
      expect(JSON.stringify(audit)).not.toContain(existing.email);
    });
  });

  describe("an invite code alone does not open a record", () => {
    it("needs the invited patient's date of birth; a wrong one answers exactly like an invalid code", async () => {
      const { patientId, code } = await invitedPatient();
      const missing = await call(signupRoute.POST, "/api/v1/auth/signup", {
        body: { email: newEmail("m"), password: STRONG_PASSWORD, full_name: "Mallory", role: "patient", invite_code: code },
      });
      expect(missing.status).toBe(422);
      expect(missing.body.error.fields).toHaveProperty("date_of_birth");

      const wrongDate = await patientSignUp(code, "1990-01-01");
      const unknownCode = await patientSignUp("AAAA-BBBB-CCCC-DDDD", DOB);
      expect(wrongDate.status).toBe(400);
      expect(wrongDate.body).toEqual(unknownCode.body);
      expect(wrongDate.body.error.code).toBe("invalid_invite");
      expect(await linkedUser(patientId)).toBeNull();
      const rejected = await serviceQuery((tx) =>
        tx.selectFrom("audit_log").select("details").where("action", "=", "auth.invite_rejected").where("patient_id", "=", patientId).execute(),
      );
      expect(rejected).toEqual([{ details: expect.objectContaining({ reason: "date_of_birth_mismatch" }) }]);

      const right = await patientSignUp(code, DOB);
      expect(right.status).toBe(201);
      expect(await linkedUser(patientId)).toBe(right.body.user.id);
    });

    it("after 10 wrong answers for one code (from any address): 429 with Retry-After, even with the right date, and no argon2", async () => {
      const { patientId, code } = await invitedPatient();
      for (let i = 0; i < 10; i++) expect((await patientSignUp(code, `1990-01-${String(i + 1).padStart(2, "0")}`)).status).toBe(400);
      const hashesBefore = hashed();
      const locked = await patientSignUp(code, DOB);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(hashed()).toBe(hashesBefore);
      expect(await linkedUser(patientId)).toBeNull();
    });

    it("a locked code says nothing more than an unknown one would after as many tries", async () => {
      const { code } = await invitedPatient();
      const unknown = "ZZZZ-YYYY-XXXX-WWWW";
      for (let i = 0; i < 10; i++) {
        await patientSignUp(code, "1990-02-02");
        await patientSignUp(unknown, "1990-02-02");
      }
      const a = await patientSignUp(code, DOB);
      const b = await patientSignUp(unknown, DOB);
      expect(a.status).toBe(429);
      expect(b.status).toBe(429);
      expect(a.body).toEqual(b.body);
    });

    it("an already-registered email: the answer a new one gets, nothing linked, and the code is spent either way", async () => {
      const existing = await createUser("patient");
      const first = await invitedPatient();
      const second = await invitedPatient();
      const fresh = await patientSignUp(first.code, DOB);
      const dup = await patientSignUp(second.code, DOB, existing.email);
      expect(dup.status).toBe(fresh.status);
      expect(Object.keys(dup.body.user).sort()).toEqual(Object.keys(fresh.body.user).sort());
      expect(dup.body.user).toMatchObject({ email: existing.email, role: "patient", full_name: "Mallory", verified: true, mfa_enabled: false });
      expect(dup.body.user.id).not.toBe(existing.id);
      expect(await linkedUser(second.patientId)).toBeNull();
      expect((await signIn(existing.email)).status).toBe(200);
      // trying either code again gets the same refusal
      const again = [await patientSignUp(first.code, DOB), await patientSignUp(second.code, DOB)];
      expect(again.map((r) => r.status)).toEqual([400, 400]);
      expect(again[1].body).toEqual(again[0].body);
      const audit = await serviceQuery((tx) =>
        tx.selectFrom("audit_log").select(["record_id", "details"]).where("action", "=", "auth.sign_up_duplicate").where("patient_id", "=", second.patientId).execute(),
      );
      expect(audit).toHaveLength(1);
      expect(audit[0].record_id).toBe(existing.id);
      expect(audit[0].details).toMatchObject({ role: "patient" });
      expect(JSON.stringify(audit)).not.toContain(existing.email);
    });
  });
});
