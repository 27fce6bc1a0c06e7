import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClinicApi, E2E_PASSWORD } from "./clinic-api";
import { ensureBuild, startServer, type RunningServer } from "./support";

/**
 * Issue #12 over the production server, as an attacker would try it (no browser needed):
 * - a page request marked as a prefetch skips the proxy; with a forged `x-carebase-path:
 *   /account` header an MFA-pending provider used to get the full chart rendered;
 * - an admin whose session is at aal1 used to read every chart.
 */
describe("side doors on the production server", () => {
  let server: RunningServer;
  let api: ClinicApi;
  let patientId: string;
  const surname = "Quuxworth";

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    api = new ClinicApi(server.url);
    await api.setUpAdmin("admin@doors.test");
    await api.provider("doc@doors.test", "Dora Doors");
    const doc = await api.token("doc@doors.test");
    ({ id: patientId } = await api.post<{ id: string }>(
      "/api/v1/patients",
      { first_name: "Zelda", last_name: surname, date_of_birth: "1970-03-04", gender: "female" },
      doc,
    ));
    // the clinic now requires two factors of providers: the next sign-in is MFA-pending
    const r = await fetch(`${server.url}/api/v1/admin/settings`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.adminToken}` },
      body: JSON.stringify({ require_mfa_for_providers: true }),
    });
    expect(r.status).toBe(200);
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("a pending provider's prefetch with a forged x-carebase-path gets no chart", async () => {
    const cookie = await api.cookieHeader("doc@doors.test");
    const attempts: Record<string, string>[] = [
      { purpose: "prefetch", "x-carebase-path": "/account" },
      { "next-router-prefetch": "1", "x-carebase-path": "/account" },
      { "x-carebase-path": "/account" },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${server.url}/patients/${patientId}`, { headers: { cookie, ...headers }, redirect: "manual" });
      const body = await res.text();
      expect(body, JSON.stringify(headers)).not.toContain(surname);
      if (res.status >= 300 && res.status < 400) expect(res.headers.get("location")).toContain("/account");
    }
    // and the API refuses it too
    const apiRes = await fetch(`${server.url}/api/v1/patients/${patientId}`, { headers: { cookie } });
    expect(apiRes.status).toBe(403);
    expect(((await apiRes.json()) as { error: { code: string } }).error.code).toBe("mfa_required");
  });

  it("an admin at aal1 reads no chart, over the API or as a page", async () => {
    await api.post("/api/v1/admin/users", { email: "second@doors.test", full_name: "Sam Second", role: "admin", password: E2E_PASSWORD }, api.adminToken);
    const aal1 = await api.token("second@doors.test");
    const one = await fetch(`${server.url}/api/v1/patients/${patientId}`, { headers: { authorization: `Bearer ${aal1}` } });
    expect(one.status).toBe(404);
    const list = (await (await fetch(`${server.url}/api/v1/patients`, { headers: { authorization: `Bearer ${aal1}` } })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
    const cookie = await api.cookieHeader("second@doors.test");
    const page = await fetch(`${server.url}/patients/${patientId}`, { headers: { cookie }, redirect: "manual" });
    expect(await page.text()).not.toContain(surname);
  });
});
