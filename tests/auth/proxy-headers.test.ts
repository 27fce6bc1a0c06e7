import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, serviceQuery, TEST_PASSWORD } from "../support/seed";
import { call, setCookies } from "./support";
import { CLIENT_IP_HEADER, stampForwardedHeaders, trustedProxyHops } from "@/core/http/client-address";
import { ACCESS_COOKIE } from "@/core/http/route";
import * as tokenRoute from "@/app/api/v1/auth/token/route";
import * as sessionRoute from "@/app/api/v1/auth/session/route";
import * as logoutRoute from "@/app/api/v1/auth/logout/route";

/**
 * Forwarded headers as they reach the routes: stamped by server.ts's stampRequest (the
 * same stampForwardedHeaders), with TRUST_PROXY as the deployment sets it.
 */

const PROXY_PEER = "10.0.0.2"; // the reverse proxy, as the socket sees it

/** The headers a route sees after server.ts stamped a request arriving from PROXY_PEER. */
function stamped(sent: Record<string, string>): Record<string, string> {
  const headers: Record<string, string | string[] | undefined> = { ...sent };
  stampForwardedHeaders(headers, PROXY_PEER, trustedProxyHops());
  return headers as Record<string, string>;
}

describe.each(engines)("forwarded headers on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  describe("the per-IP sign-in throttle behind one proxy (TRUST_PROXY=1)", () => {
    it("counts the address the proxy appended: rotating forged leftmost X-Forwarded-For entries still get 429", async () => {
      vi.stubEnv("TRUST_PROXY", "1");
      vi.stubEnv("RATE_LIMIT_SIGN_IN_IP", "5/300");
      const statuses: number[] = [];
      for (let i = 1; i <= 7; i++) {
        const headers = stamped({ "x-forwarded-for": `203.0.113.${i}, 198.51.100.7` });
        expect(headers[CLIENT_IP_HEADER]).toBe("198.51.100.7");
        const r = await call(tokenRoute.POST, "/api/v1/auth/token", { headers, body: { email: `spray${i}@clinic.test`, password: "not the password" } });
        statuses.push(r.status);
      }
      expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(5)).toEqual([429, 429]);
      // The audit trail names the real address, never a forged one.
      const trail = await serviceQuery((tx) => tx.selectFrom("audit_log").select(["ip"]).where("action", "=", "auth.rate_limited").execute());
      expect(trail.map((r) => r.ip)).toContain("198.51.100.7");
      expect(trail.some((r) => r.ip?.startsWith("203.0.113."))).toBe(false);
    });

    it("records the proxy-appended address on the session, not the client's own entry", async () => {
      vi.stubEnv("TRUST_PROXY", "1");
      const u = await createUser("patient");
      const r = await call(tokenRoute.POST, "/api/v1/auth/token", { headers: stamped({ "x-forwarded-for": "203.0.113.200, 198.51.100.8" }), body: { email: u.email, password: TEST_PASSWORD } });
      expect(r.status).toBe(200);
      const sessions = await serviceQuery((tx) => tx.selectFrom("auth.sessions").select("ip").where("user_id", "=", u.id).execute());
      // (createUser's own session has no address)
      expect(sessions.map((s) => s.ip).filter(Boolean)).toEqual(["198.51.100.8"]);
    });

    it("ignores X-Forwarded-For altogether without TRUST_PROXY: the socket's peer is the client", async () => {
      const headers = stamped({ "x-forwarded-for": "203.0.113.9" });
      expect(headers[CLIENT_IP_HEADER]).toBe(PROXY_PEER);
      expect(headers).not.toHaveProperty("x-forwarded-for");
    });
  });

  describe("CSRF: a cookie-authenticated POST without Sec-Fetch-Site, judged by Origin against the host", () => {
    async function logout(accessToken: string, headers: Record<string, string>) {
      const req = new Request("http://localhost/api/v1/auth/logout", {
        method: "POST",
        headers: { cookie: `${ACCESS_COOKIE}=${encodeURIComponent(accessToken)}`, [CLIENT_IP_HEADER]: "192.0.2.1", ...headers },
      });
      const res = await logoutRoute.POST(req, { params: Promise.resolve({}) });
      return { status: res.status, body: res.status === 204 ? null : await res.json().catch(() => null) };
    }

    it("refuses a forged X-Forwarded-Host that matches the attacker's Origin when no proxy is trusted", async () => {
      const u = await createUser("patient");
      const r = await logout(u.accessToken, { host: "carebase.example", origin: "https://evil.example", "x-forwarded-host": "evil.example" });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("csrf_rejected");
    });

    it("refuses a forged entry in front of what the trusted proxy wrote", async () => {
      vi.stubEnv("TRUST_PROXY", "1");
      const u = await createUser("patient");
      const r = await logout(u.accessToken, { host: "127.0.0.1:3000", origin: "https://evil.example", "x-forwarded-host": "evil.example, carebase.example" });
      expect(r.status).toBe(403);
    });

    it("allows our own origin: by Host without a proxy, by the proxy's X-Forwarded-Host behind one", async () => {
      const direct = await createUser("patient");
      expect((await logout(direct.accessToken, { host: "carebase.example", origin: "https://carebase.example" })).status).not.toBe(403);
      vi.stubEnv("TRUST_PROXY", "1");
      const proxied = await createUser("patient");
      expect((await logout(proxied.accessToken, { host: "127.0.0.1:3000", origin: "https://carebase.example", "x-forwarded-host": "carebase.example" })).status).not.toBe(403);
    });
  });

  describe("Secure cookies follow X-Forwarded-Proto only from a trusted proxy", () => {
    const signIn = async (email: string, headers: Record<string, string>) =>
      call(sessionRoute.POST, "/api/v1/auth/session", { body: { email, password: TEST_PASSWORD }, cookies: {}, headers });

    it("a client's own X-Forwarded-Proto: https does not make them Secure (plain http stays plain)", async () => {
      const u = await createUser("patient");
      const res = await signIn(u.email, { "x-forwarded-proto": "https" });
      expect(res.status).toBe(200);
      expect(Object.values(setCookies(res.headers)).some((c) => /Secure/.test(c.attrs))).toBe(false);
    });

    it("the trusted proxy's https does, and a forged https in front of its http does not", async () => {
      vi.stubEnv("TRUST_PROXY", "1");
      const u = await createUser("patient");
      const https = await signIn(u.email, { "x-forwarded-proto": "https" });
      expect(https.headers.getSetCookie().every((c) => /; Secure/.test(c))).toBe(true);
      const forged = await signIn(u.email, { "x-forwarded-proto": "https, http" });
      expect(forged.headers.getSetCookie().some((c) => /; Secure/.test(c))).toBe(false);
    });
  });
});
