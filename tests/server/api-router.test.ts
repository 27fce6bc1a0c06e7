import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasBuild, startServer, waitHealthy, type RunningServer } from "../ops/support";

/**
 * issue #20: the light router (docs/api-router.md) answers exactly as Next did. Two
 * production servers on the same build, one with the router and one with API_ROUTER=next,
 * get the same requests; status, headers (but those that differ per request or per
 * connection) and bodies (request ids aside) must match.
 */

const VOLATILE = new Set(["date", "x-request-id", "connection", "keep-alive", "transfer-encoding", "content-length", "vary"]);

interface Seen {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function see(port: number, method: string, target: string, init: RequestInit = {}): Promise<Seen> {
  const res = await fetch(`http://localhost:${port}${target}`, { method, redirect: "manual", ...init });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!VOLATILE.has(k)) headers[k] = k === "location" ? v.replace(String(port), "PORT") : v;
  });
  const body = (await res.text()).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "UUID");
  return { status: res.status, headers, body };
}

describe.skipIf(!hasBuild)("the light router answers as Next did", () => {
  let router: RunningServer;
  let next: RunningServer;
  const dirs: string[] = [];

  beforeAll(async () => {
    const dir = () => {
      const d = mkdtempSync(path.join(os.tmpdir(), "carebase-router-"));
      dirs.push(d);
      return d;
    };
    [router, next] = await Promise.all([startServer({ DATA_DIR: dir() }), startServer({ DATA_DIR: dir(), API_ROUTER: "next" })]);
    await Promise.all([waitHealthy(router), waitHealthy(next)]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([router?.stop(), next?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const json = { "content-type": "application/json" };
  const cases: Array<[string, string, string, RequestInit?]> = [
    ["health", "GET", "/api/health"],
    ["setup state", "GET", "/api/v1/setup"],
    ["no session", "GET", "/api/v1/auth/user"],
    ["a malformed bearer token", "GET", "/api/v1/auth/user", { headers: { authorization: "Bearer !!" } }],
    ["an unknown token", "GET", "/api/v1/patients/00000000-0000-4000-8000-000000000000", { headers: { authorization: "Bearer abc.def.ghi" } }],
    ["a body that is not JSON", "POST", "/api/v1/auth/token", { headers: json, body: "{" }],
    ["a body that fails validation", "POST", "/api/v1/auth/token", { headers: json, body: JSON.stringify({ email: "x" }) }],
    ["a cross-site cookie write", "POST", "/api/v1/auth/logout", { headers: { cookie: "cb_access=x", origin: "https://evil.example", "sec-fetch-site": "cross-site" } }],
    ["HEAD of a GET route", "HEAD", "/api/health"],
    ["a method the route lacks", "DELETE", "/api/v1/setup"],
    ["OPTIONS", "OPTIONS", "/api/v1/setup"],
    ["a trailing slash", "GET", "/api/v1/setup/"],
    ["a path no route has", "GET", "/api/v1/no-such-thing"],
    ["a query string", "GET", "/api/v1/patients?limit=abc", { headers: { authorization: "Bearer abc.def.ghi" } }],
  ];

  for (const [name, method, target, init] of cases) {
    it(`${name}: ${method} ${target}`, async () => {
      const [a, b] = await Promise.all([see(router.port, method, target, init), see(next.port, method, target, init)]);
      expect(a.status).toBe(b.status);
      expect(a.headers).toEqual(b.headers);
      expect(a.body).toBe(b.body);
    });
  }
});

if (!hasBuild) console.warn("SKIPPED: the light router comparison needs a production build (npm run build).");
