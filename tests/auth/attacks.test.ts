import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, createPatient, serviceQuery, TEST_PASSWORD } from "../support/seed";
import { call, type CallOptions } from "./support";
import { signAccessToken } from "@/core/auth/tokens";
import { ACCESS_COOKIE } from "@/core/http/route";
import * as tokenRoute from "@/app/api/v1/auth/token/route";
import * as userRoute from "@/app/api/v1/auth/user/route";
import * as logoutRoute from "@/app/api/v1/auth/logout/route";
import * as usersRoute from "@/app/api/v1/admin/users/route";
import * as deactivateRoute from "@/app/api/v1/admin/users/[id]/deactivate/route";
import * as providersRoute from "@/app/api/v1/admin/providers/route";
import * as verifyRoute from "@/app/api/v1/admin/providers/[id]/verify/route";
import * as settingsRoute from "@/app/api/v1/admin/settings/route";
import * as inviteRoute from "@/app/api/v1/patients/[id]/invite/route";

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const parts = (jwt: string) => jwt.split(".");
const me = (token: string) => call(userRoute.GET, "/api/v1/auth/user", { token });

describe.each(engines)("attacks on accounts, %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  describe("forged and stale access tokens are refused with 401", () => {
    it("a flipped signature", async () => {
      const u = await createUser("patient");
      const [h, p, s] = parts(u.accessToken);
      const flipped = `${h}.${p}.${s.slice(0, -2)}${s.at(-2) === "A" ? "B" : "A"}${s.at(-1)}`;
      const res = await me(flipped);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_token");
    });

    it("alg: none", async () => {
      const u = await createUser("patient");
      const [, p] = parts(u.accessToken);
      const res = await me(`${b64({ alg: "none", typ: "JWT" })}.${p}.`);
      expect(res.status).toBe(401);
    });

    it("edited claims (role → admin) under the original signature", async () => {
      const u = await createUser("provider");
      const [h, p, s] = parts(u.accessToken);
      const claims = JSON.parse(Buffer.from(p, "base64url").toString());
      const forged = `${h}.${b64({ ...claims, role: "admin", aal: "aal2" })}.${s}`;
      expect((await me(forged)).status).toBe(401);
      expect((await call(usersRoute.GET, "/api/v1/admin/users", { token: forged })).status).toBe(401);
    });

    it("a token signed with the right key but the wrong role for the account", async () => {
      const u = await createUser("provider");
      const promoted = await signAccessToken({ ...u.session, role: "admin", aal: "aal2" });
      expect((await call(usersRoute.GET, "/api/v1/admin/users", { token: promoted })).status).toBe(401);
    });

    it("an expired token", async () => {
      const u = await createUser("patient");
      const expired = await signAccessToken(u.session, -60);
      const res = await me(expired);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("token_expired");
    });

    it("a deactivated user's token, at once", async () => {
      const admin = await createUser("admin");
      const victim = await createUser("provider");
      expect((await me(victim.accessToken)).status).toBe(200); // now cached as live
      const res = await call(deactivateRoute.POST, `/api/v1/admin/users/${victim.id}/deactivate`, { method: "POST", token: admin.accessToken, params: { id: victim.id } });
      expect(res.status).toBe(200);
      expect((await me(victim.accessToken)).status).toBe(401);
      const sessions = await serviceQuery((tx) => tx.selectFrom("auth.sessions").select("revoke_reason").where("user_id", "=", victim.id).execute());
      expect(sessions.every((s) => s.revoke_reason === "deactivated")).toBe(true);
      // and they cannot sign in again (same answer as a wrong password)
      const again = await call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: (await serviceQuery((tx) => tx.selectFrom("auth.users").select("email").where("id", "=", victim.id).executeTakeFirstOrThrow())).email, password: TEST_PASSWORD } });
      expect(again.status).toBe(401);
      expect(again.body.error.code).toBe("invalid_credentials");
      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select(["actor_id", "record_id"]).where("action", "=", "auth.user_deactivated").execute());
      expect(audit).toContainEqual({ actor_id: admin.id, record_id: victim.id });
    });
  });

  describe("brute force", () => {
    it("locks the account after 5 failures: 429 with Retry-After, even with the right password", async () => {
      const u = await createUser("patient");
      const attempt = (password: string) => call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: u.email, password } });
      for (let i = 0; i < 5; i++) expect((await attempt(`wrong guess number ${i}`)).status).toBe(401);
      const locked = await attempt(TEST_PASSWORD);
      expect(locked.status).toBe(429);
      expect(locked.body.error.code).toBe("rate_limited");
      const retry = Number(locked.headers.get("retry-after"));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(30);
      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select("actor_id").where("action", "=", "auth.account_locked").execute());
      expect(audit.map((a) => a.actor_id)).toContain(u.id);
    });

    it("an unknown email locks the same way (no account enumeration)", async () => {
      const attempt = () => call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: "ghost@clinic.test", password: "whatever whatever" } });
      for (let i = 0; i < 5; i++) expect((await attempt()).status).toBe(401);
      expect((await attempt()).status).toBe(429);
    });

    it("the next lock lasts longer (growing back-off)", async () => {
      const u = await createUser("patient");
      const { throttleKey } = await import("@/core/auth/rate-limit");
      // a first lock that has already run out
      await serviceQuery((tx) =>
        tx.insertInto("auth.sign_in_failures").values({ email_key: throttleKey(`email:${u.email}`), failures: 0, lock_level: 1, locked_until: new Date(Date.now() - 1000) }).execute(),
      );
      for (let i = 0; i < 5; i++) await call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: u.email, password: `nope nope ${i}` } });
      const locked = await call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: u.email, password: TEST_PASSWORD } });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(30);
    });

    it("limits sign-in attempts per IP across accounts", async () => {
      const ip = "192.0.2.77";
      let last = 0;
      for (let i = 0; i < 61; i++) {
        const r = await call(tokenRoute.POST, "/api/v1/auth/token", { ip, body: { email: `spray${i}@clinic.test`, password: "x" } });
        last = r.status;
        if (r.status === 429) break;
      }
      expect(last).toBe(429);
    }, 120_000);
  });

  describe("CSRF", () => {
    it("refuses a cookie-authenticated mutation from another site, and allows it from ours", async () => {
      const u = await createUser("patient");
      const cross = await call(logoutRoute.POST, "/api/v1/auth/logout", { method: "POST", cookies: { [ACCESS_COOKIE]: u.accessToken }, site: "cross-site" });
      expect(cross.status).toBe(403);
      expect(cross.body.error.code).toBe("csrf_rejected");
      expect((await me(u.accessToken)).status).toBe(200);
      const noHeaders = await call(logoutRoute.POST, "/api/v1/auth/logout", {
        method: "POST",
        headers: { cookie: `${ACCESS_COOKIE}=${u.accessToken}`, origin: "https://evil.example", host: "localhost" },
      });
      expect(noHeaders.status).toBe(403);
      const same = await call(logoutRoute.POST, "/api/v1/auth/logout", { method: "POST", cookies: { [ACCESS_COOKIE]: u.accessToken } });
      expect(same.status).toBe(204);
      expect((await me(u.accessToken)).status).toBe(401);
    });
  });

  describe("admin endpoints", () => {
    const endpoints = (id: string): Array<[string, () => [unknown, string, CallOptions]]> =>
      [
        ["GET /admin/users", () => [usersRoute.GET, "/api/v1/admin/users", {}]],
        ["POST /admin/users", () => [usersRoute.POST, "/api/v1/admin/users", { body: { email: "new@x.test", password: "long enough passphrase", full_name: "N", role: "admin" } }]],
        ["GET /admin/providers", () => [providersRoute.GET, "/api/v1/admin/providers?status=pending", {}]],
        ["POST /admin/providers/{id}/verify", () => [verifyRoute.POST, `/api/v1/admin/providers/${id}/verify`, { method: "POST", params: { id } }]],
        ["POST /admin/users/{id}/deactivate", () => [deactivateRoute.POST, `/api/v1/admin/users/${id}/deactivate`, { method: "POST", params: { id } }]],
        ["GET /admin/settings", () => [settingsRoute.GET, "/api/v1/admin/settings", {}]],
      ];

    it.each(["patient", "provider"] as const)("refuse a %s with 403", async (role) => {
      const caller = await createUser(role);
      const target = await createUser("provider", { verified: false });
      for (const [, make] of endpoints(target.id)) {
        const [h, path, opts] = make();
        const res = await call(h, path, { ...opts, token: caller.accessToken });
        expect(res.status, path).toBe(403);
      }
      const still = await serviceQuery((tx) => tx.selectFrom("providers").select("is_verified").where("user_id", "=", target.id).executeTakeFirstOrThrow());
      expect(still.is_verified).toBe(false);
    });

    it("refuse an admin without MFA with 403 mfa_required", async () => {
      const admin = await createUser("admin", { aal: "aal1" });
      const target = await createUser("provider", { verified: false });
      for (const [, make] of endpoints(target.id)) {
        const [h, path, opts] = make();
        const res = await call(h, path, { ...opts, token: admin.accessToken });
        expect(res.status, path).toBe(403);
        expect(res.body.error.code, path).toBe("mfa_required");
      }
      const patient = await createPatient({ createdBy: admin.id });
      const inv = await call(inviteRoute.POST, `/api/v1/patients/${patient}/invite`, { method: "POST", token: admin.accessToken, params: { id: patient } });
      expect(inv.status).toBe(403);
    });

    it("answer 401 without a token", async () => {
      for (const [, make] of endpoints("00000000-0000-4000-8000-000000000000")) {
        const [h, path, opts] = make();
        expect((await call(h, path, opts)).status, path).toBe(401);
      }
    });
  });
});
