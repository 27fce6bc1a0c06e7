import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, serviceQuery, TEST_PASSWORD } from "../support/seed";
import { call, setCookies } from "./support";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "@/core/http/route";
import * as sessionRoute from "@/app/api/v1/auth/session/route";
import * as refreshRoute from "@/app/api/v1/auth/session/refresh/route";
import * as userRoute from "@/app/api/v1/auth/user/route";
import * as tokenRefreshRoute from "@/app/api/v1/auth/token/refresh/route";
import * as tokenRoute from "@/app/api/v1/auth/token/route";

/** Moves the process clock (Date only) 1.1 s on, past the 1 s live-session cache, instead of sleeping. */
function skipPastSessionCache(): void {
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
  vi.setSystemTime(Date.now() + 1100);
}

describe.each(engines)("browser cookie sessions on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });
  afterEach(() => {
    delete process.env.COOKIE_SECURE;
    vi.useRealTimers();
  });

  async function browserSignIn(email: string) {
    const res = await call(sessionRoute.POST, "/api/v1/auth/session", { body: { email, password: TEST_PASSWORD }, cookies: {} });
    expect(res.status).toBe(200);
    const c = setCookies(res.headers);
    return { res, access: c[ACCESS_COOKIE], refresh: c[REFRESH_COOKIE] };
  }

  it("sets HttpOnly, SameSite=Lax cookies (Secure over https) and no tokens in the body", async () => {
    const u = await createUser("patient");
    const { res, access, refresh } = await browserSignIn(u.email);
    expect(res.body.user.id).toBe(u.id);
    expect(JSON.stringify(res.body)).not.toContain(access.value);
    for (const c of [access, refresh]) {
      expect(c.attrs).toMatch(/HttpOnly/);
      expect(c.attrs).toMatch(/SameSite=Lax/);
      expect(c.attrs).toMatch(/Path=\//);
      expect(c.attrs).not.toMatch(/Secure/);
    }
    const me = await call(userRoute.GET, "/api/v1/auth/user", { cookies: { [ACCESS_COOKIE]: access.value } });
    expect(me.status).toBe(200);
    // https as a trusted proxy reports it (TRUST_PROXY; tests/auth/proxy-headers.test.ts has the untrusted side)
    vi.stubEnv("TRUST_PROXY", "1");
    try {
      const https = await call(sessionRoute.POST, "/api/v1/auth/session", { body: { email: u.email, password: TEST_PASSWORD }, cookies: {}, headers: { "x-forwarded-proto": "https" } });
      expect(https.headers.getSetCookie().every((c) => /; Secure/.test(c))).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("refuses a cross-site sign-in form (login CSRF)", async () => {
    const u = await createUser("patient");
    const res = await call(sessionRoute.POST, "/api/v1/auth/session", { body: { email: u.email, password: TEST_PASSWORD }, cookies: {}, site: "cross-site" });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toHaveLength(0);
  });

  it("refreshes silently from the refresh cookie, rotating it", async () => {
    const u = await createUser("provider");
    const { refresh } = await browserSignIn(u.email);
    const r = await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: refresh.value } });
    expect(r.status).toBe(200);
    const c = setCookies(r.headers);
    expect(c[REFRESH_COOKIE].value).not.toBe(refresh.value);
    expect((await call(userRoute.GET, "/api/v1/auth/user", { cookies: { [ACCESS_COOKIE]: c[ACCESS_COOKIE].value } })).status).toBe(200);
    const cross = await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: c[REFRESH_COOKIE].value }, site: "cross-site" });
    expect(cross.status).toBe(403);
    // a refresh cookie replayed after the grace period kills the session and clears the cookies
    await serviceQuery((tx) =>
      tx
        .updateTable("auth.refresh_tokens")
        .set({ spent_at: new Date(Date.now() - 31_000) })
        .where("spent_at", "is not", null)
        .where("session_id", "in", (eb) => eb.selectFrom("auth.sessions").select("id").where("user_id", "=", u.id))
        .execute(),
    );
    const replay = await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: refresh.value } });
    expect(replay.status).toBe(401);
    expect(setCookies(replay.headers)[ACCESS_COOKIE].attrs).toMatch(/Max-Age=0/);
    expect((await call(userRoute.GET, "/api/v1/auth/user", { cookies: { [ACCESS_COOKIE]: c[ACCESS_COOKIE].value } })).status).toBe(401);
  });

  it("lets two requests of one browser race with the same refresh cookie (grace period), not a bearer replay", async () => {
    const u = await createUser("provider");
    const { refresh } = await browserSignIn(u.email);
    const refreshWith = (value: string) => call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: value } });
    // two page loads with the same expired access cookie: both refresh, in parallel
    const [a, b] = await Promise.all([refreshWith(refresh.value), refreshWith(refresh.value)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const ca = setCookies(a.headers);
    const cb = setCookies(b.headers);
    expect(ca[REFRESH_COOKIE].value).not.toBe(cb[REFRESH_COOKIE].value);
    // the session lives on, and both branches keep working
    for (const c of [ca, cb]) {
      expect((await call(userRoute.GET, "/api/v1/auth/user", { cookies: { [ACCESS_COOKIE]: c[ACCESS_COOKIE].value } })).status).toBe(200);
      expect((await refreshWith(c[REFRESH_COOKIE].value)).status).toBe(200);
    }
    const revoked = await serviceQuery((tx) => tx.selectFrom("auth.sessions").select("id").where("user_id", "=", u.id).where("revoked_at", "is not", null).execute());
    expect(revoked).toEqual([]);

    // the bearer flow has no grace: an immediate replay still revokes
    const pair = (await call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: u.email, password: TEST_PASSWORD } })).body;
    expect((await call(tokenRefreshRoute.POST, "/api/v1/auth/token/refresh", { body: { refresh_token: pair.refresh_token } })).status).toBe(200);
    expect((await call(tokenRefreshRoute.POST, "/api/v1/auth/token/refresh", { body: { refresh_token: pair.refresh_token } })).status).toBe(401);
  });

  it("bounds the grace: replaying one spent cookie over and over revokes the session", async () => {
    const u = await createUser("patient");
    const { refresh } = await browserSignIn(u.email);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: refresh.value } })).status);
    }
    // at most five pairs per session within the window (here the sign-in's, the rotation's
    // and three racing requests'); the next replay is reuse, and every later one is refused
    expect(statuses).toEqual([200, 200, 200, 200, 401, 401, 401]);
    const live = await serviceQuery((tx) => tx.selectFrom("auth.sessions").select("id").where("user_id", "=", u.id).where("revoked_at", "is", null).execute());
    expect(live).toHaveLength(1); // only the session createUser seeded; the browser's is revoked
  });

  it("gives no grace to a session that was signed out, nor when the grace is turned off", async () => {
    const u = await createUser("patient");
    const first = await browserSignIn(u.email);
    const r = await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: first.refresh.value } });
    const c = setCookies(r.headers);
    await call(sessionRoute.DELETE, "/api/v1/auth/session", { method: "DELETE", cookies: { [ACCESS_COOKIE]: c[ACCESS_COOKIE].value, [REFRESH_COOKIE]: c[REFRESH_COOKIE].value } });
    expect((await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: first.refresh.value } })).status).toBe(401);

    process.env.REFRESH_REUSE_GRACE_SECONDS = "0";
    try {
      const second = await browserSignIn(u.email);
      const ok = await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: second.refresh.value } });
      expect(ok.status).toBe(200);
      const again = await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: second.refresh.value } });
      expect(again.status).toBe(401);
      expect((await call(userRoute.GET, "/api/v1/auth/user", { cookies: { [ACCESS_COOKIE]: setCookies(ok.headers)[ACCESS_COOKIE].value } })).status).toBe(401);
    } finally {
      delete process.env.REFRESH_REUSE_GRACE_SECONDS;
    }
  });

  it("sign-out revokes the session and clears both cookies", async () => {
    const u = await createUser("patient");
    const { access, refresh } = await browserSignIn(u.email);
    const out = await call(sessionRoute.DELETE, "/api/v1/auth/session", { method: "DELETE", cookies: { [ACCESS_COOKIE]: access.value, [REFRESH_COOKIE]: refresh.value } });
    expect(out.status).toBe(204);
    const cleared = setCookies(out.headers);
    expect(cleared[ACCESS_COOKIE].value).toBe("");
    expect(cleared[REFRESH_COOKIE].attrs).toMatch(/Max-Age=0/);
    expect((await call(userRoute.GET, "/api/v1/auth/user", { cookies: { [ACCESS_COOKIE]: access.value } })).status).toBe(401);
    expect((await call(refreshRoute.POST, "/api/v1/auth/session/refresh", { method: "POST", cookies: { [REFRESH_COOKIE]: refresh.value } })).status).toBe(401);
  });

  it("ends an idle staff session (STAFF_IDLE_MINUTES) but not a patient's", async () => {
    const doc = await createUser("provider");
    const pt = await createUser("patient");
    const docPair = (await call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: doc.email, password: TEST_PASSWORD } })).body;
    const ptPair = (await call(tokenRoute.POST, "/api/v1/auth/token", { body: { email: pt.email, password: TEST_PASSWORD } })).body;
    await serviceQuery((tx) => tx.updateTable("auth.sessions").set({ last_seen_at: new Date(Date.now() - 16 * 60_000) }).where("user_id", "in", [doc.id, pt.id]).execute());
    skipPastSessionCache();
    const docMe = await call(userRoute.GET, "/api/v1/auth/user", { token: docPair.access_token });
    expect(docMe.status).toBe(401);
    const docRefresh = await call(tokenRefreshRoute.POST, "/api/v1/auth/token/refresh", { body: { refresh_token: docPair.refresh_token } });
    expect(docRefresh.status).toBe(401);
    expect(docRefresh.body.error.code).toBe("session_idle");
    expect((await call(userRoute.GET, "/api/v1/auth/user", { token: ptPair.access_token })).status).toBe(200);
    expect((await call(tokenRefreshRoute.POST, "/api/v1/auth/token/refresh", { body: { refresh_token: ptPair.refresh_token } })).status).toBe(200);
  });

  it("activity keeps last_seen_at fresh, written at most once a minute", async () => {
    const doc = await createUser("provider");
    await serviceQuery((tx) => tx.updateTable("auth.sessions").set({ last_seen_at: new Date(Date.now() - 5 * 60_000) }).where("id", "=", doc.session.sessionId).execute());
    skipPastSessionCache();
    expect((await call(userRoute.GET, "/api/v1/auth/user", { token: doc.accessToken })).status).toBe(200);
    const seen = await serviceQuery((tx) => tx.selectFrom("auth.sessions").select("last_seen_at").where("id", "=", doc.session.sessionId).executeTakeFirstOrThrow());
    expect(Date.now() - new Date(seen.last_seen_at).getTime()).toBeLessThan(10_000);
  });
});
