import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { hasChromium, inviteCodeFor, jsonApi, newContext, screenshots, seriousViolations, serverAndBrowser, setUpClinic } from "./support";

/**
 * "Download my record" in the production server (issue #16): the patient's /my-records
 * offers a PDF summary and the FHIR file, both downloaded by the browser with the session
 * cookie; the page stays axe clean and fits 360 px. Also /fhir/R4 served by the production server:
 * metadata without auth, a read with a bearer token, $everything, 404 OperationOutcome.
 */
const PASSWORD = "sturdy orange kettle lamp";
const ADMIN = { full_name: "Ada Admin", email: "ada.fhir@clinic.test" };
const DOC = { full_name: "Dr Grace Hopper", email: "grace.fhir@clinic.test", credential: "physician", license_number: "LIC-7161", specialty: "Family medicine" };
const PATIENT = { first_name: "Zoë", last_name: "Łukasiewicz", mrn: "MRN-FHIR-1", email: "zoe.fhir@patient.test" };

describe.skipIf(!hasChromium)("download my record, and /fhir/R4 in the production server", () => {
  const run = serverAndBrowser();
  let ctx: BrowserContext;
  let page: Page;
  let docToken = "";
  let patientId = "";
  let inviteCode = "";
  const api = jsonApi(() => run.server.url);

  beforeAll(async () => {
    ({ docToken, patientId } = await setUpClinic(api, {
      password: PASSWORD,
      admin: ADMIN,
      providers: [DOC],
      patient: { first_name: PATIENT.first_name, last_name: PATIENT.last_name, date_of_birth: "1975-03-09", gender: "female", allergies: ["penicillin"], mrn: PATIENT.mrn },
    }));
    const visit = await api(`/api/v1/patients/${patientId}/visits`, {
      token: docToken,
      body: { visit_date: new Date().toISOString(), visit_type: "office", chief_complaint: "Headache", diagnosis: "Tension headache", vitals: { heart_rate: 71, blood_pressure: "121/79" } },
    });
    expect(visit.status, JSON.stringify(visit.body)).toBe(201);
    inviteCode = await inviteCodeFor(api, patientId, docToken);
  }, 600_000);

  afterAll(async () => {
    await ctx?.close().catch(() => undefined);
  });

  it("serves /fhir/R4 in the production server: metadata, read, $everything, OperationOutcome", async () => {
    const meta = await fetch(`${run.server.url}/fhir/R4/metadata`);
    expect(meta.status).toBe(200);
    expect(meta.headers.get("content-type")).toMatch(/^application\/fhir\+json/);
    expect((await meta.json()).fhirVersion).toBe("4.0.1");
    const auth = { authorization: `Bearer ${docToken}` };
    const read = await fetch(`${run.server.url}/fhir/R4/Patient/${patientId}`, { headers: auth });
    expect(read.status).toBe(200);
    expect((await read.json()).identifier[0].value).toBe(PATIENT.mrn);
    const everything = await fetch(`${run.server.url}/fhir/R4/Patient/${patientId}/$everything`, { headers: auth });
    expect(everything.status).toBe(200);
    const types = (await everything.json()).entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType);
    expect(types).toEqual(expect.arrayContaining(["Patient", "Encounter", "Condition", "Observation", "AllergyIntolerance", "CareTeam", "Practitioner"]));
    const missing = await fetch(`${run.server.url}/fhir/R4/Patient/00000000-0000-4000-8000-000000000000`, { headers: auth });
    expect(missing.status).toBe(404);
    expect((await missing.json()).resourceType).toBe("OperationOutcome");
    expect((await fetch(`${run.server.url}/fhir/R4/Patient/${patientId}`)).status).toBe(401);
  });

  it("lets the patient download their record as a PDF summary and a FHIR file", async () => {
    ctx = await newContext(run.browser, run.server.url);
    page = await ctx.newPage();
    await page.goto(`/sign-up#invite_code=${inviteCode}`);
    await expect.poll(() => page.getByLabel("Invite code").inputValue()).not.toBe("");
    await page.getByLabel("Date of birth").fill("1975-03-09");
    await page.getByLabel("Full name").fill(`${PATIENT.first_name} ${PATIENT.last_name}`);
    await page.getByLabel("Email").fill(PATIENT.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL("**/my-records");

    const group = page.getByRole("group", { name: "Download my record" });
    const pdfLink = group.getByRole("link", { name: "Record summary (PDF)" });
    const fhirLink = group.getByRole("link", { name: "Full record (FHIR file)" });
    await pdfLink.waitFor();

    // keyboard: the link takes focus and Enter downloads
    await pdfLink.focus();
    const [pdf] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    expect(pdf.suggestedFilename()).toBe("my-record-summary.pdf");
    expect(readFileSync((await pdf.path())!).subarray(0, 5).toString()).toBe("%PDF-");

    const [file] = await Promise.all([page.waitForEvent("download"), fhirLink.click()]);
    expect(file.suggestedFilename()).toBe("my-record.json");
    const bundle = JSON.parse(readFileSync((await file.path())!, "utf8"));
    expect(bundle.resourceType).toBe("Bundle");
    expect(bundle.type).toBe("collection");
    expect(bundle.entry[0].resource).toMatchObject({ resourceType: "Patient", id: patientId });
    expect(bundle.entry.some((e: { resource: { resourceType: string; code?: { text?: string } } }) => e.resource.resourceType === "Condition" && e.resource.code?.text === "Tension headache")).toBe(true);

    await page.waitForLoadState("networkidle").catch(() => undefined);
    expect(await seriousViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 360, height: 780 });
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(await pdfLink.isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, "my-records-download");
  });
});
