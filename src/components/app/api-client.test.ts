import { afterEach, describe, expect, it, vi } from "vitest";
import { createApiClient, type ApiClientDeps } from "./api-client";
import { checkBrowserSession } from "./realtime/session-check";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

const EXPIRED = () => json(401, { error: { code: "token_expired", message: "The access token has expired." } });

interface Call {
  path: string;
  method: string;
  body: string | undefined;
}

/** A fake fetch answering from a queue per path; records every call. */
function fakeServer(answers: Record<string, (() => Response | Promise<Response>)[]>) {
  const calls: Call[] = [];
  const fetch: ApiClientDeps["fetch"] = async (path, init) => {
    calls.push({ path, method: init.method ?? "GET", body: init.body as string | undefined });
    const next = answers[path]?.shift();
    if (!next) throw new Error(`unexpected request ${init.method} ${path}`);
    return next();
  };
  return { calls, fetch };
}

function client(fetch: ApiClientDeps["fetch"], session: Awaited<ReturnType<ApiClientDeps["checkSession"]>> = "ok") {
  const checkSession = vi.fn(async () => session);
  const onSessionEnded = vi.fn();
  return { api: createApiClient({ fetch, checkSession, onSessionEnded }), checkSession, onSessionEnded };
}

describe("api(): one retry after a renewed session", () => {
  it("returns a success as it is, without touching the session", async () => {
    const s = fakeServer({ "/api/v1/patients": [() => json(200, { items: [] })] });
    const c = client(s.fetch);
    expect(await c.api("/api/v1/patients")).toEqual({ ok: true, status: 200, data: { items: [] } });
    expect(c.checkSession).not.toHaveBeenCalled();
    expect(s.calls).toHaveLength(1);
  });

  it("renews an expired access cookie and sends the same request again", async () => {
    const s = fakeServer({ "/api/v1/patients/p1/messages": [EXPIRED, () => json(201, { id: "m1" })] });
    const c = client(s.fetch, "ok");
    const r = await c.api("/api/v1/patients/p1/messages", { body: { message: "Hello", priority: "normal" } });
    expect(r).toEqual({ ok: true, status: 201, data: { id: "m1" } });
    expect(c.checkSession).toHaveBeenCalledTimes(1);
    expect(s.calls).toHaveLength(2);
    expect(s.calls[1]).toEqual(s.calls[0]);
    expect(s.calls[1]).toMatchObject({ method: "POST", body: JSON.stringify({ message: "Hello", priority: "normal" }) });
    expect(c.onSessionEnded).not.toHaveBeenCalled();
  });

  it("retries once only: a second 401 is returned to the caller", async () => {
    const s = fakeServer({ "/api/v1/patients": [EXPIRED, EXPIRED] });
    const c = client(s.fetch, "ok");
    const r = await c.api("/api/v1/patients");
    expect(r).toMatchObject({ ok: false, error: { status: 401, code: "token_expired" } });
    expect(s.calls).toHaveLength(2);
    expect(c.checkSession).toHaveBeenCalledTimes(1);
  });

  it("a session that cannot be renewed: no retry; a read sends the user to sign in", async () => {
    const s = fakeServer({ "/api/v1/patients": [EXPIRED] });
    const c = client(s.fetch, "expired");
    const r = await c.api("/api/v1/patients");
    expect(r).toMatchObject({ ok: false, error: { status: 401 } });
    expect(s.calls).toHaveLength(1);
    expect(c.onSessionEnded).toHaveBeenCalledWith({ write: false });
  });

  it("a write refused for an ended session is reported as a write (the form keeps its text)", async () => {
    const s = fakeServer({ "/api/v1/patients/p1": [EXPIRED] });
    const c = client(s.fetch, "expired");
    const r = await c.api("/api/v1/patients/p1", { method: "patch", body: { phone: "555" } });
    expect(r.ok).toBe(false);
    expect(c.onSessionEnded).toHaveBeenCalledWith({ write: true });
  });

  it("an unknown session state (network) neither retries nor signs out", async () => {
    const s = fakeServer({ "/api/v1/patients": [EXPIRED] });
    const c = client(s.fetch, "unknown");
    expect((await c.api("/api/v1/patients")).ok).toBe(false);
    expect(s.calls).toHaveLength(1);
    expect(c.onSessionEnded).not.toHaveBeenCalled();
  });

  it("a wrong password or code is an answer, not an expired session", async () => {
    const s = fakeServer({
      "/api/v1/auth/password": [() => json(401, { error: { code: "invalid_credentials", message: "The current password is not right." } })],
      "/api/v1/auth/mfa/verify": [() => json(401, { error: { code: "invalid_mfa_code", message: "The code is not right." } })],
    });
    const c = client(s.fetch, "ok");
    expect(await c.api("/api/v1/auth/password", { body: {} })).toMatchObject({ ok: false, error: { code: "invalid_credentials" } });
    expect(await c.api("/api/v1/auth/mfa/verify", { body: {} })).toMatchObject({ ok: false, error: { code: "invalid_mfa_code" } });
    expect(c.checkSession).not.toHaveBeenCalled();
    expect(s.calls).toHaveLength(2);
  });

  it("sign-in and sign-out answer 401 without a renewal", async () => {
    const s = fakeServer({ "/api/v1/auth/session": [() => json(401, { error: { code: "unauthorized", message: "Sign in to continue." } }), EXPIRED] });
    const c = client(s.fetch, "ok");
    expect((await c.api("/api/v1/auth/session", { body: { email: "a@b.test", password: "x" } })).ok).toBe(false);
    expect((await c.api("/api/v1/auth/session", { method: "DELETE" })).ok).toBe(false);
    expect(c.checkSession).not.toHaveBeenCalled();
    expect(c.onSessionEnded).not.toHaveBeenCalled();
  });

  it("other errors are returned without a renewal", async () => {
    const s = fakeServer({ "/api/v1/patients/p9": [() => json(404, { error: { code: "not_found", message: "The patient was not found." } })] });
    const c = client(s.fetch, "ok");
    expect(await c.api("/api/v1/patients/p9")).toEqual({ ok: false, error: { status: 404, code: "not_found", message: "The patient was not found.", fields: undefined } });
    expect(c.checkSession).not.toHaveBeenCalled();
  });

  it("requests refused together share one renewal; a later expiry renews again", async () => {
    const s = fakeServer({ "/a": [EXPIRED, () => json(200, 1), EXPIRED, () => json(200, 3)], "/b": [EXPIRED, () => json(200, 2)] });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const checkSession = vi.fn(async () => {
      await gate;
      return "ok" as const;
    });
    const api = createApiClient({ fetch: s.fetch, checkSession, onSessionEnded: vi.fn() });
    const both = Promise.all([api("/a"), api("/b")]);
    await vi.waitFor(() => expect(s.calls).toHaveLength(2));
    // Both refusals have reached the renewal (the fake fetch answers in microtasks).
    await new Promise((r) => setTimeout(r, 0));
    release();
    expect((await both).map((r) => r.ok && r.data)).toEqual([1, 2]);
    expect(checkSession).toHaveBeenCalledTimes(1);
    expect(await api("/a")).toMatchObject({ ok: true, data: 3 });
    expect(checkSession).toHaveBeenCalledTimes(2);
  });

  it("a network failure is the network_error shape, with no renewal", async () => {
    const c = client(async () => {
      throw new TypeError("Failed to fetch");
    });
    expect(await c.api("/api/v1/patients")).toMatchObject({ ok: false, error: { status: 0, code: "network_error" } });
    expect(c.checkSession).not.toHaveBeenCalled();
  });
});

describe("api() with the real checkBrowserSession", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("refreshes through /api/v1/auth/session/refresh, then the request succeeds", async () => {
    let cookieValid = false;
    const seen: string[] = [];
    vi.stubGlobal("fetch", async (path: string, init: RequestInit) => {
      seen.push(`${init.method} ${path}`);
      if (path === "/api/v1/auth/session/refresh") {
        cookieValid = true;
        return json(200, { ok: true });
      }
      if (!cookieValid) return EXPIRED();
      return json(200, path === "/api/v1/auth/user" ? { id: "u1" } : { items: [] });
    });
    const api = createApiClient({ fetch: (p, i) => fetch(p, i), checkSession: checkBrowserSession, onSessionEnded: vi.fn() });
    expect(await api("/api/v1/patients")).toEqual({ ok: true, status: 200, data: { items: [] } });
    expect(seen).toEqual([
      "GET /api/v1/patients",
      "GET /api/v1/auth/user",
      "GET /api/v1/auth/user",
      "POST /api/v1/auth/session/refresh",
      "GET /api/v1/patients",
    ]);
  });

  it("a refused refresh ends the session (no retry of the request)", async () => {
    const seen: string[] = [];
    vi.stubGlobal("fetch", async (path: string, init: RequestInit) => {
      seen.push(`${init.method} ${path}`);
      if (path === "/api/v1/auth/session/refresh") return json(401, { error: { code: "invalid_refresh_token", message: "The refresh token is invalid or has been used." } });
      return EXPIRED();
    });
    const onSessionEnded = vi.fn();
    const api = createApiClient({ fetch: (p, i) => fetch(p, i), checkSession: checkBrowserSession, onSessionEnded });
    expect((await api("/api/v1/patients")).ok).toBe(false);
    expect(seen.filter((s) => s === "GET /api/v1/patients")).toHaveLength(1);
    expect(onSessionEnded).toHaveBeenCalledWith({ write: false });
  });
});
