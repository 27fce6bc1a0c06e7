import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { ensureBuild, hasChromium, startServer, type RunningServer } from "./support";
import { ClinicApi } from "./clinic-api";

/**
 * The chart's HTTP status: a provider off the care team and a patient that does not exist
 * both answer 404 with the same not-found page and none of the patient's data; the care
 * team's own chart answers 200 and still streams its skeleton first. Driven over HTTP with
 * the browser's cookie session (the status is what matters here, not the rendering).
 */
const NOT_FOUND_TEXT = "This page does not exist, or you do not have access to it.";
const PATIENT = { first_name: "Philippa", last_name: "Oyelaran-Stroud", mrn: "MRN-404-5521", date_of_birth: "1971-05-09", gender: "female" };

describe.skipIf(!hasChromium)("chart not-found status", () => {
  let server: RunningServer;
  let patientId = "";
  let doc1Cookie = "";
  let doc2Cookie = "";
  let adminToken = "";

  async function page(path: string, cookie: string) {
    const r = await fetch(server.url + path, { headers: { cookie }, redirect: "manual" });
    return { status: r.status, html: await r.text() };
  }
  function expectNothingOfThePatient(html: string) {
    for (const s of [PATIENT.first_name, PATIENT.last_name, PATIENT.mrn, "1971-05-09"]) expect(html).not.toContain(s);
  }

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    const clinic = new ClinicApi(server.url);
    await clinic.setUpAdmin("admin@c404.test");
    adminToken = clinic.adminToken;
    await clinic.provider("doc1@c404.test", "Dr LIC-1");
    await clinic.provider("doc2@c404.test", "Dr LIC-2");
    patientId = (await clinic.post<{ id: string }>("/api/v1/patients", { ...PATIENT, allergies: ["Latex"] }, await clinic.token("doc1@c404.test"))).id;
    doc1Cookie = await clinic.cookieHeader("doc1@c404.test");
    doc2Cookie = await clinic.cookieHeader("doc2@c404.test");
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("answers 200 with the chart, skeleton first, to the care team", async () => {
    const { status, html } = await page(`/patients/${patientId}`, doc1Cookie);
    expect(status).toBe(200);
    expect(html).toContain("Loading the chart…");
    expect(html).toContain(PATIENT.last_name);
  });

  it("answers 404 with the not-found page to a provider off the care team", async () => {
    const { status, html } = await page(`/patients/${patientId}`, doc2Cookie);
    expect(status).toBe(404);
    expect(html).toContain(NOT_FOUND_TEXT);
    expectNothingOfThePatient(html);
  });

  it("answers the same for a patient that does not exist and for a malformed id", async () => {
    const unknownId = randomUUID();
    const invisible = await page(`/patients/${patientId}`, doc2Cookie);
    const unknown = await page(`/patients/${unknownId}`, doc2Cookie);
    const malformed = await page(`/patients/not-a-uuid`, doc1Cookie);
    // Byte for byte the same document once the per-request nonce and the id asked for are masked.
    const mask = (html: string, id: string) => html.replace(/nonce(?:=|\\?":)\\?"[A-Za-z0-9+/=]+/g, "nonce").replaceAll(id, "ID");
    expect(unknown.status).toBe(404);
    expect(mask(unknown.html, unknownId)).toBe(mask(invisible.html, patientId));
    expect(malformed.status).toBe(404);
    expect(malformed.html).toContain(NOT_FOUND_TEXT);
    for (const r of [unknown, malformed]) expectNothingOfThePatient(r.html);
    // Upper-case spelling of a visible id is the same chart, not a different answer.
    expect((await page(`/patients/${patientId.toUpperCase()}`, doc1Cookie)).status).toBe(200);
  });

  it("records one chart read per view for the care team, none for a refused view", async () => {
    const chartReads = async (who: string) => {
      const r = await fetch(`${server.url}/api/v1/patients/${patientId}/access-log?limit=200`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(r.status).toBe(200);
      const { data } = (await r.json()) as { data: { actor: { name: string }; activity: string; record_kind: string | null }[] };
      return data.filter((e) => e.actor.name === who && e.activity === "viewed" && e.record_kind === "patient_chart").length;
    };
    const before = await chartReads("Dr LIC-1");
    expect((await page(`/patients/${patientId}`, doc1Cookie)).status).toBe(200);
    // The layout's visibility check and the page share one read of the patient; the overview
    // (the default tab) records what it showed in one more: two per view, never more.
    await expect.poll(() => chartReads("Dr LIC-1")).toBe(before + 2);
    const refused = await chartReads("Dr LIC-2");
    expect((await page(`/patients/${patientId}`, doc2Cookie)).status).toBe(404);
    expect(await chartReads("Dr LIC-2")).toBe(refused);
  });

  it("still redirects a signed-out visitor to sign-in", async () => {
    const r = await page(`/patients/${patientId}`, "");
    expect([302, 303, 307, 308]).toContain(r.status);
  });
});
