import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiRouter, type RouteModule } from "./api-router";

const manifest = {
  "/api/v1/patients/route": "/api/v1/patients",
  "/api/v1/patients/[id]/route": "/api/v1/patients/[id]",
  "/api/v1/patients/me/route": "/api/v1/patients/me",
  "/fhir/R4/[...path]/route": "/fhir/R4/[...path]",
  "/fhir/R4/Patient/$export/route": "/fhir/R4/Patient/$export",
  "/patients/[id]/page": "/patients/[id]",
};

const echo = (name: string): RouteModule => ({
  GET: async (req: Request, ctx: { params: Promise<Record<string, unknown>> }) =>
    Response.json({ name, params: await ctx.params, url: req.url, id: req.headers.get("x-request-id") }, { headers: { "X-Frame-Options": "SAMEORIGIN" } }),
  POST: async (req: Request) => {
    const res = Response.json({ name, body: await req.json() }, { status: 201 });
    res.headers.append("Set-Cookie", "a=1; Path=/");
    res.headers.append("Set-Cookie", "b=2; Path=/");
    return res;
  },
});

describe("ApiRouter matching", () => {
  const router = new ApiRouter({ manifest, load: async () => ({}) });

  it("serves only API and FHIR routes of the manifest", () => {
    expect(router.size).toBe(5);
    expect(router.find("/patients/1")).toBeUndefined();
    expect(router.find("/api/v1/nothing")).toBeUndefined();
  });

  it("prefers a static segment over a parameter and a parameter over a catch-all, as Next does", () => {
    expect(router.find("/api/v1/patients/me")?.route.pattern).toBe("/api/v1/patients/me");
    expect(router.find("/api/v1/patients/abc")?.params).toEqual({ id: "abc" });
    expect(router.find("/fhir/R4/Patient/$export")?.route.pattern).toBe("/fhir/R4/Patient/$export");
    expect(router.find("/fhir/R4/Patient/1/$everything")?.params).toEqual({ path: ["Patient", "1", "$everything"] });
  });

  it("decodes parameters and leaves odd paths to Next", () => {
    expect(router.find("/api/v1/patients/a%20b")?.params).toEqual({ id: "a b" });
    expect(router.find("/api/v1/patients/%E0%A4%A")).toBeUndefined();
    expect(router.find("/api/v1/patients/")).toBeUndefined();
    expect(router.find("/api/v1//patients")).toBeUndefined();
    expect(router.find("/api/v1/patients/../setup")).toBeUndefined();
  });
});

describe("ApiRouter over HTTP", () => {
  let server: Server;
  let base = "";
  const loaded: string[] = [];

  beforeAll(async () => {
    const router = new ApiRouter({
      manifest,
      load: async (entry) => {
        loaded.push(entry);
        return echo(entry);
      },
    });
    server = createServer((req, res) => {
      req.headers["x-request-id"] = "stamped";
      void router.handle(req, res).then((served) => {
        if (!served) res.writeHead(418).end("next");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("calls the handler with params, the Host-based URL and the stamped headers; Next's fixed headers are added where the handler set none", async () => {
    const res = await fetch(`${base}/api/v1/patients/p1?x=1`, { headers: { "x-request-id": "forged" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { params: unknown; url: string; id: string };
    expect(body.params).toEqual({ id: "p1" });
    expect(body.url).toBe(`${base}/api/v1/patients/p1?x=1`);
    expect(body.id).toBe("stamped");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN"); // the handler's own value wins
  });

  it("streams a request body in, keeps several Set-Cookie headers apart, and loads a module once", async () => {
    const res = await fetch(`${base}/api/v1/patients`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: 1 }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: "/api/v1/patients/route", body: { a: 1 } });
    expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    await fetch(`${base}/api/v1/patients`, { method: "POST", body: "{}" });
    expect(loaded.filter((e) => e === "/api/v1/patients/route")).toHaveLength(1);
  });

  it("answers HEAD from GET without a body, OPTIONS with Allow, and 405 for a method the route lacks", async () => {
    const head = await fetch(`${base}/api/v1/patients/p1`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const options = await fetch(`${base}/api/v1/patients/p1`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
    const del = await fetch(`${base}/api/v1/patients/p1`, { method: "DELETE" });
    expect(del.status).toBe(405);
  });

  it("hands pages and unknown paths to Next", async () => {
    expect((await fetch(`${base}/patients/p1`)).status).toBe(418);
    expect((await fetch(`${base}/api/v1/unknown`)).status).toBe(418);
  });
});
