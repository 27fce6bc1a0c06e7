import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { NextRequest } from "next/server";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, TEST_PASSWORD } from "../support/seed";
import { call, setCookies } from "./support";
import { proxy, contentSecurityPolicy } from "@/proxy";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "@/core/http/route";
import { signAccessToken } from "@/core/auth/tokens";
import * as sessionRoute from "@/app/api/v1/auth/session/route";
import * as refreshRoute from "@/app/api/v1/auth/session/refresh/route";

function page(path: string, cookies: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const cookie = Object.entries(cookies).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
  return new NextRequest(`http://localhost${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
}

describe("security headers", () => {
  it("sets CSP (no unsafe-eval outside development), frame-ancestors none, nosniff, referrer policy; HSTS only over https", async () => {
    const res = await proxy(page("/"));
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("strict-transport-security")).toBeNull();
    // X-Forwarded-Proto counts only from a trusted proxy (TRUST_PROXY)
    const forged = await proxy(page("/", {}, { "x-forwarded-proto": "https" }));
    expect(forged.headers.get("strict-transport-security")).toBeNull();
    vi.stubEnv("TRUST_PROXY", "1");
    try {
      const https = await proxy(page("/", {}, { "x-forwarded-proto": "https" }));
      expect(https.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(contentSecurityPolicy("n", true)).toMatch(/unsafe-eval/);
    // a fresh nonce per request
    const again = await proxy(page("/"));
    expect(again.headers.get("content-security-policy")).not.toBe(csp);
  });
});

describe.each(engines)("silent refresh in the proxy on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    // The proxy calls our own refresh endpoint over HTTP; here that is the route handler itself.
    vi.stubGlobal("fetch", (url: string | URL, init: RequestInit) => refreshRoute.POST(new Request(url, init), { params: Promise.resolve({}) }));
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await t?.drop();
  });
  afterEach(() => vi.clearAllMocks());

  it("refreshes an expired access cookie on a page request and hands the page the new one", async () => {
    const u = await createUser("patient");
    const signIn = await call(sessionRoute.POST, "/api/v1/auth/session", { body: { email: u.email, password: TEST_PASSWORD }, cookies: {} });
    const c = setCookies(signIn.headers);
    const expired = await signAccessToken(u.session, -5);
    const res = await proxy(page("/account", { [ACCESS_COOKIE]: expired, [REFRESH_COOKIE]: c[REFRESH_COOKIE].value }));
    const set = setCookies(res.headers);
    expect(set[ACCESS_COOKIE].value).toMatch(/^ey/);
    expect(set[REFRESH_COOKIE].value).not.toBe(c[REFRESH_COOKIE].value);
    // the request the page sees carries the new access cookie
    expect(res.headers.get("x-middleware-request-cookie")).toContain(`${ACCESS_COOKIE}=${encodeURIComponent(set[ACCESS_COOKIE].value)}`);
  });

  it("leaves a fresh access cookie alone and never refreshes on API calls", async () => {
    const u = await createUser("patient");
    const signIn = await call(sessionRoute.POST, "/api/v1/auth/session", { body: { email: u.email, password: TEST_PASSWORD }, cookies: {} });
    const c = setCookies(signIn.headers);
    const res = await proxy(page("/", { [ACCESS_COOKIE]: c[ACCESS_COOKIE].value, [REFRESH_COOKIE]: c[REFRESH_COOKIE].value }));
    expect(res.headers.getSetCookie()).toHaveLength(0);
    const api = await proxy(page("/api/v1/patients", { [REFRESH_COOKIE]: c[REFRESH_COOKIE].value }));
    expect(api.headers.getSetCookie()).toHaveLength(0);
  });

  it("clears the cookies when the session cannot be refreshed", async () => {
    const res = await proxy(page("/", { [REFRESH_COOKIE]: "not-a-real-refresh-token" }));
    const set = setCookies(res.headers);
    expect(set[REFRESH_COOKIE].attrs).toMatch(/Max-Age=0/);
  });
});
