import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as OTPAuth from "otpauth";
import type { Browser, Page } from "playwright-core";
import { ensureBuild, hasChromium, launchBrowser, startServer, TestPages, type RunningServer } from "./support";

/**
 * The audit trail in the browser: a clinic is set up through the API (admin with MFA, a
 * verified provider, a patient with a portal account, the chart opened by the provider);
 * an admin searches the trail at /admin/audit (filters by patient and action, keyset pages
 * both ways, a malformed filter, the CSV export) and the patient reads who opened their
 * record. Both pages are scanned by axe and captured at 1280 and 360 px.
 */
const PASSWORD = "sturdy orange kettle lamp";
const ADMIN = { name: "Ada Admin", email: "ada.audit@clinic.test" };
const DOC = { name: "Dr Grace Hopper", email: "grace.audit@clinic.test" };
const CHART_READS = 6;
const PATIENT = { first: "Marisol", last: "Quintanilla", mrn: "MRN-AUD-7731", email: "marisol.audit@patient.test" };

describe.skipIf(!hasChromium)("the audit trail in Chromium", () => {
  let server: RunningServer;
  let browser: Browser;
  let recoveryCode = "";
  let patientId = "";
  const pages = new TestPages(() => browser, () => server.url);
  const a11y = pages.a11y;

  async function api(path: string, init: { token?: string; body?: unknown; method?: string } = {}) {
    const res = await fetch(server.url + path, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const body = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} → ${res.status} ${JSON.stringify(body)}`);
    return body;
  }
  const page = (): Promise<Page> => pages.open();
  const scan = (p: Page, name: string) => pages.scan(p, name);
  async function signIn(p: Page, email: string, withRecoveryCode?: string) {
    await p.goto("/sign-in");
    await p.getByLabel("Email").fill(email);
    await p.getByLabel("Password").fill(PASSWORD);
    await p.getByRole("button", { name: "Sign in" }).click();
    if (withRecoveryCode) {
      await p.getByRole("button", { name: "Use a recovery code instead" }).click();
      await p.getByLabel("Recovery code").fill(withRecoveryCode);
      await p.getByRole("button", { name: "Verify and sign in" }).click();
    }
  }

  beforeAll(async () => {
    ensureBuild();
    server = await startServer({ CLINIC_TIME_ZONE: "Asia/Tokyo" });
    browser = await launchBrowser();

    // The clinic, through the API.
    await api("/api/v1/setup", { body: { email: ADMIN.email, password: PASSWORD, full_name: ADMIN.name } });
    const adminAal1 = (await api("/api/v1/auth/token", { body: { email: ADMIN.email, password: PASSWORD } })).access_token;
    const enrol = await api("/api/v1/auth/mfa/enroll", { token: adminAal1, body: {} });
    recoveryCode = enrol.recovery_codes[0];
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrol.secret), digits: 6, period: 30, algorithm: "SHA1" });
    const adminToken = (await api("/api/v1/auth/mfa/verify", { token: adminAal1, body: { code: totp.generate() } })).access_token;

    const doc = await api("/api/v1/auth/signup", {
      body: { email: DOC.email, password: PASSWORD, full_name: DOC.name, role: "provider", credential: "physician", license_number: "LIC-7001", specialty: "Family medicine" },
    });
    await api(`/api/v1/admin/providers/${doc.user.id}/verify`, { token: adminToken, body: {} });
    const docToken = (await api("/api/v1/auth/token", { body: { email: DOC.email, password: PASSWORD } })).access_token;
    const patient = await api("/api/v1/patients", {
      token: docToken,
      body: {
        first_name: PATIENT.first, last_name: PATIENT.last, date_of_birth: "1984-07-19", gender: "female", blood_type: "A+",
        allergies: ["Penicillin"], emergency_contact: { name: "Rafael Quintanilla", phone: "+1 555 0100" }, mrn: PATIENT.mrn,
      },
    });
    patientId = patient.id;
    const invite = await api(`/api/v1/patients/${patientId}/invite`, { token: docToken, body: {} });
    await api("/api/v1/auth/signup", {
      body: { email: PATIENT.email, password: PASSWORD, full_name: `${PATIENT.first} ${PATIENT.last}`, role: "patient", invite_code: invite.invite_code, date_of_birth: "1984-07-19" },
    });
    // The provider opens the chart a few times: enough records about this patient to page through.
    for (let i = 0; i < CHART_READS; i++) {
      await api(`/api/v1/patients/${patientId}`, { token: docToken });
      await api(`/api/v1/patients/${patientId}/visits`, { token: docToken });
    }
  });

  afterAll(async () => {
    await pages.close();
    await browser?.close();
    await server?.stop();
  });

  it("lets an admin filter the trail by patient and action, page both ways and download the CSV", async () => {
    const admin = await page();
    await signIn(admin, ADMIN.email, recoveryCode);
    await admin.waitForURL("**/patients");
    await admin.goto("/admin");
    await admin.getByRole("link", { name: /Audit trail/ }).first().click();
    await admin.waitForURL("**/admin/audit");
    await expect.poll(() => admin.getByTestId("audit-row").count()).toBeGreaterThan(5);
    await expect.poll(() => admin.getByTestId("audit-status").textContent()).toMatch(/Records in the trail/);
    await scan(admin, "admin-audit");

    // The patient, by typing a name (sent in a POST body, never in the URL).
    await admin.getByLabel("Patient", { exact: true }).fill(PATIENT.last.slice(0, 6));
    await admin.getByRole("button", { name: new RegExp(`${PATIENT.last}, ${PATIENT.first}`) }).click();
    await expect.poll(() => admin.getByTestId("audit-patient-chosen").textContent()).toContain(`${PATIENT.last}, ${PATIENT.first}`);
    await admin.getByLabel("Action", { exact: true }).selectOption("read");
    await admin.getByLabel("Table or kind of record").selectOption("patient_chart");
    await admin.getByLabel("Rows per page").selectOption("25");
    await admin.getByRole("button", { name: "Apply filters" }).click();
    await admin.waitForURL((u) => u.searchParams.get("patient") === patientId && u.searchParams.get("action") === "read" && u.searchParams.get("table") === "patient_chart");
    for (const secret of [PATIENT.last, PATIENT.first, PATIENT.mrn, PATIENT.last.slice(0, 6)]) expect(admin.url()).not.toContain(secret);
    // Every row: this patient, a read of the chart (a row that is not says what it is instead);
    // the provider's reads among them (others may have read the chart in the course of setup).
    await expect.poll(() => admin.getByTestId("audit-row").filter({ hasText: DOC.name }).count()).toBe(CHART_READS);
    const filtered = await admin.getByTestId("audit-row").allTextContents();
    // Readable labels: "Viewed" a "Chart", not read/patient_chart.
    expect(filtered.map((t) => (t.includes(`${PATIENT.last}, ${PATIENT.first}`) && t.includes("Viewed") && t.includes("Chart") && !t.includes("patient_chart") ? "ok" : t))).toEqual(
      filtered.map(() => "ok"),
    );
    const total = filtered.length;

    // Keyset pages of 2 (a page size the URL may carry): forward to the end, then back to the start.
    const firstPageUrl = new URL(admin.url());
    firstPageUrl.searchParams.set("limit", "2");
    await admin.goto(firstPageUrl.pathname + firstPageUrl.search);
    const ids = async () => (await admin.getByTestId("audit-row").locator("td:first-child span.font-mono").allTextContents()).join(" ");
    await expect.poll(() => admin.getByTestId("audit-row").count()).toBe(2);
    const pages = [await ids()];
    expect(await admin.getByRole("button", { name: "Previous page" }).isDisabled()).toBe(true);
    while ((await admin.getByRole("link", { name: "Next page" }).count()) > 0) {
      await admin.getByRole("link", { name: "Next page" }).click();
      await expect.poll(ids).not.toBe(pages[pages.length - 1]);
      pages.push(await ids());
      expect(new URL(admin.url()).searchParams.has("cursor")).toBe(true);
    }
    expect(pages).toHaveLength(Math.ceil(total / 2));
    expect(new Set(pages.join(" ").split(" ")).size).toBe(total); // no gaps, no repeats
    expect(admin.url()).not.toContain("offset");
    for (let i = pages.length - 2; i >= 0; i--) {
      await admin.getByRole("link", { name: "Previous page" }).click();
      await expect.poll(ids).toBe(pages[i]);
    }
    await expect.poll(() => admin.getByRole("button", { name: "Previous page" }).isDisabled()).toBe(true);

    // The CSV: the same filters, downloaded through the link.
    const href = await admin.getByTestId("audit-export").getAttribute("href");
    expect(href).toContain(`patient=${patientId}`);
    expect(href).toContain("action=read");
    expect(href).toContain("table=patient_chart");
    expect(href).not.toContain("limit");
    const [download] = await Promise.all([admin.waitForEvent("download"), admin.getByTestId("audit-export").click()]);
    const csv = readFileSync((await download.path())!, "utf8");
    const lines = csv.trim().split(/\r\n/);
    expect(lines[0]).toMatch(/^id,occurred_at,actor_id,actor_name/);
    expect(lines).toHaveLength(1 + total);
    for (const line of lines.slice(1)) {
      expect(line).toContain(patientId);
      expect(line).toContain(",read,patient_chart,");
    }
    expect(csv).toContain(DOC.name);

    // A malformed filter: a clear message, not a crash, and the value is not echoed.
    await admin.goto("/admin/audit?from=2026-02-30&patient=Quintanilla");
    await expect.poll(() => admin.getByTestId("audit-invalid").textContent()).toMatch(/From is not a real date/);
    expect(await admin.getByTestId("audit-invalid").textContent()).toMatch(/Patient /);
    expect(await admin.locator("main").textContent()).not.toContain("Quintanilla");
    await scan(admin, "admin-audit-invalid");

    // Admins also see the access log on the chart.
    await admin.goto(`/patients/${patientId}`);
    await admin.getByRole("tab", { name: "Access log" }).click();
    await expect.poll(() => admin.getByTestId("access-log").textContent()).toContain(DOC.name);
  });

  it("shows the patient who opened their record, by name and role", async () => {
    const patient = await page();
    await signIn(patient, PATIENT.email);
    await patient.waitForURL("**/my-records");
    await patient.getByRole("tab", { name: "Access log" }).click();
    const log = patient.getByTestId("access-log");
    await expect.poll(() => log.textContent()).toContain(DOC.name);
    const docRow = patient.getByTestId("access-log-row").filter({ hasText: DOC.name }).filter({ hasText: "Viewed your chart" });
    // Newest first: the admin's and the patient's own reads come before; "Load more" reaches the rest.
    // The provider's chart openings came within seconds: one page view, grouped into one entry.
    while ((await docRow.count()) < 1 && (await patient.getByRole("button", { name: "Load more" }).count()) > 0) {
      const before = await patient.getByTestId("access-log-row").count();
      await patient.getByRole("button", { name: "Load more" }).click();
      await expect.poll(() => patient.getByTestId("access-log-row").count()).toBeGreaterThan(before);
    }
    expect(await docRow.count()).toBe(1);
    expect(await docRow.first().textContent()).toContain("Provider");
    // Times in the clinic's zone (CLINIC_TIME_ZONE, not the browser's America/New_York), never a bare id.
    await expect.poll(() => docRow.first().locator("time").textContent()).toMatch(/ (JST|GMT\+9)$/);
    expect(await log.textContent()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    await scan(patient, "my-records-access-log");
  });

  it("finds no serious or critical accessibility violations", () => {
    const failures = Object.entries(a11y).filter(([, v]) => v.length > 0);
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    expect(Object.keys(a11y)).toEqual(["admin-audit", "admin-audit-invalid", "my-records-access-log"]);
  });
});
