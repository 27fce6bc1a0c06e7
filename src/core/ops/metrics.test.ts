import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { createPatient, createUser } from "../../../tests/support/seed";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { getPatient } from "../clinical/patients";
import { startRealtime, stopRealtime } from "../realtime/index";
import { measureHttpRequest } from "./metrics";
import { metricsAccess } from "./metrics-access";
import { RouteLabeler } from "./route-label";

const TOKEN = "metrics-token-for-tests-0123456789";
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe("metricsAccess", () => {
  it("is disabled without a token, allows only the exact bearer token", () => {
    expect(metricsAccess(`Bearer ${TOKEN}`, undefined)).toBe("disabled");
    expect(metricsAccess(`Bearer ${TOKEN}`, "")).toBe("disabled");
    expect(metricsAccess(`Bearer ${TOKEN}`, TOKEN)).toBe("allowed");
    expect(metricsAccess(`bearer ${TOKEN}`, TOKEN)).toBe("allowed");
    expect(metricsAccess(null, TOKEN)).toBe("denied");
    expect(metricsAccess(`Bearer ${TOKEN}x`, TOKEN)).toBe("denied");
    expect(metricsAccess(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe("denied");
    expect(metricsAccess(TOKEN, TOKEN)).toBe("denied");
    expect(metricsAccess("Bearer ", "")).toBe("disabled");
  });
});

describe.each(engines)("GET /api/metrics on %s", (engine) => {
  let t: TestDatabase;
  let dataDir: string;
  let server: Server;
  let base: string;
  const saved = { token: process.env.METRICS_TOKEN, dataDir: process.env.DATA_DIR };

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    dataDir = await mkdtemp(path.join(os.tmpdir(), "carebase-metrics-"));
    process.env.DATA_DIR = dataDir;
    await startRealtime(t.db);
    // requests counted as server.ts counts them: a real HTTP server and the route patterns
    const routes = new RouteLabeler(["/api/v1/patients/[id]", "/api/v1/patients/[id]/visits", "/api/[...slug]"]);
    server = createServer((req, res) => {
      measureHttpRequest(req, res, routes.label(req.url));
      res.statusCode = req.url?.includes("visits") ? 201 : 404;
      res.end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    process.env.METRICS_TOKEN = saved.token;
    process.env.DATA_DIR = saved.dataDir;
    await new Promise((r) => server?.close(r));
    await stopRealtime();
    await rm(dataDir, { recursive: true, force: true });
    await t?.drop();
  });

  async function scrape(authorization?: string) {
    const res = await metricsRoute(new Request("http://localhost/api/metrics", { headers: authorization ? { authorization } : {} }));
    return { status: res.status, type: res.headers.get("content-type"), auth: res.headers.get("www-authenticate"), text: await res.text() };
  }

  it("does not exist without METRICS_TOKEN (404 in the API's error shape)", async () => {
    delete process.env.METRICS_TOKEN;
    const r = await scrape(`Bearer ${TOKEN}`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text).error.code).toBe("not_found");
  });

  it("401 without the token or with a wrong one", async () => {
    process.env.METRICS_TOKEN = TOKEN;
    for (const header of [undefined, "Bearer wrong-token", `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`]) {
      const r = await scrape(header);
      expect(r.status).toBe(401);
      expect(r.auth).toBe("Bearer");
      expect(r.text).not.toContain("carebase_");
    }
  });

  it("200 in Prometheus text format with every series, and no id, email or name in a label", async () => {
    process.env.METRICS_TOKEN = TOKEN;
    const provider = await createUser("provider", { fullName: "Doctor Quincy Marblewood" });
    const patientId = await createPatient({ createdBy: provider.id, firstName: "Zebulon", lastName: "Fairweather" });
    await getPatient(provider.session, patientId, {}); // a read: staged for the audit chain
    for (const p of [`/api/v1/patients/${patientId}/visits`, `/api/v1/patients/${patientId}?email=${encodeURIComponent(provider.email)}`, `/api/v1/${provider.email}`]) {
      await (await fetch(base + p, { method: p.includes("visits") ? "POST" : "GET" })).text();
    }

    const r = await scrape(`Bearer ${TOKEN}`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const series = [
      'carebase_http_requests_total{method="POST",route="/api/v1/patients/{id}/visits",status="201"} ',
      'carebase_http_requests_total{method="GET",route="/api/v1/patients/{id}",status="404"} ',
      'carebase_http_requests_total{method="GET",route="/api/{slug...}",status="404"} ',
      'carebase_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/v1/patients/{id}/visits",status="201"}',
      "carebase_http_requests_in_flight 0",
      "carebase_db_pool_in_use ",
      "carebase_db_pool_waiting 0",
      "carebase_realtime_sockets 0",
      "carebase_realtime_listener_up 1",
      "carebase_realtime_deliveries_total ",
      "carebase_realtime_delivery_failures_total 0",
      "carebase_audit_stage_backlog ",
      "carebase_data_dir_free_bytes ",
      "carebase_draining 0",
      "process_cpu_user_seconds_total ",
      "nodejs_eventloop_lag_seconds ",
    ];
    for (const s of series) expect(r.text).toContain(s);
    expect(Number(/^carebase_audit_stage_backlog (\d+)$/m.exec(r.text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^carebase_data_dir_free_bytes (\d+)$/m.exec(r.text)?.[1])).toBeGreaterThan(0);

    const labels = r.text.split("\n").filter((l) => l.includes("{")).join("\n");
    expect(labels).not.toMatch(UUID);
    expect(labels).not.toContain("@");
    for (const word of ["Quincy", "Marblewood", "Zebulon", "Fairweather", "example.test"]) expect(r.text).not.toContain(word);
  });
});
