import { afterEach, describe, expect, it, vi } from "vitest";
import { log } from "../log";
import { json } from "./respond";
import { CLIENT_IP_HEADER, open } from "./route";

afterEach(() => vi.restoreAllMocks());

describe("the request log line", () => {
  it("carries the client address server.ts stamped, the request id and the status; not the query string", async () => {
    const spy = vi.spyOn(log, "info");
    const handler = open(async () => json({ ok: true }, 202));
    const res = await handler(
      new Request("http://localhost/api/v1/patients?search=Fairweather", { headers: { [CLIENT_IP_HEADER]: "203.0.113.7", "x-request-id": "req-log-line-01" } }),
    );
    expect(res.status).toBe(202);
    const line = spy.mock.calls.find((c) => c[1] === "request")?.[0] as Record<string, unknown>;
    expect(line).toMatchObject({ requestId: "req-log-line-01", method: "GET", path: "/api/v1/patients", status: 202, ip: "203.0.113.7" });
    expect(JSON.stringify(line)).not.toContain("Fairweather");
  });
});
