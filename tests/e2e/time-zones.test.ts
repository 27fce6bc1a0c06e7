import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ensureBuild, hasChromium, launchBrowser, screenshots, seriousViolations, startServer, type RunningServer } from "./support";
import { ClinicApi, E2E_PASSWORD } from "./clinic-api";

/**
 * Time zones (issue #15, item 7): the clinic runs on CLINIC_TIME_ZONE (here America/Chicago),
 * and browsers in other zones (America/New_York, Asia/Kolkata) must get the same text the
 * server rendered: no React hydration error (#418) in the console, no time that changes after
 * load, and the shown time is the clinic's. Also here, because they need a browser: a
 * non-admin opening /admin gets a real 404 with nothing of the admin page, the icon answers,
 * and Back from a chart returns to the page of the patient list the address bar names.
 *
 * The visit at 03:30 UTC on 10 March 2026 is 9 March in Chicago (22:30 CDT) and New York
 * (23:30 EDT), but 10 March in Kolkata (09:00 IST): a page formatting in the browser's zone
 * shows "Mar 10, 2026" to the Kolkata browser, the clinic's zone shows "Mar 9, 2026" to both.
 */
const CLINIC_ZONE = "America/Chicago";
const BROWSER_ZONES = ["America/New_York", "Asia/Kolkata"] as const;
const VISIT_AT = "2026-03-10T03:30:00Z";
const VISIT_DAY_IN_CLINIC = "Mar 9, 2026";
const PATIENT = { first_name: "Ottilie", last_name: "Vandersloot-Achebe", date_of_birth: "1979-02-14", gender: "female", mrn: "MRN-TZ-0001" };
const PATIENT_EMAIL = "ottilie@tz.test";
const DOC = "doc@tz.test";
const NURSE = "nurse@tz.test";
const ADMIN = "admin@tz.test";

/** The clinic's rendering of an instant, as the app writes it (en-US, the zone's short name). */
function clinicDateTime(iso: string): string {
  return new Date(iso)
    .toLocaleString("en-US", { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short", timeZone: CLINIC_ZONE })
    .replace(/[\u202f\u00a0]/g, " ");
}

describe.skipIf(!hasChromium)("times in the clinic's zone, whatever the browser's", () => {
  let server: RunningServer;
  let browser: Browser;
  let clinic: ClinicApi;
  let patientId = "";
  const contexts: BrowserContext[] = [];
  const a11y: Record<string, string[]> = {};

  beforeAll(async () => {
    ensureBuild();
    server = await startServer({ CLINIC_TIME_ZONE: CLINIC_ZONE });
    browser = await launchBrowser();
    clinic = new ClinicApi(server.url);
    await clinic.setUpAdmin(ADMIN);
    await clinic.provider(DOC, "Dr Imelda Quispe");
    const nurseId = await clinic.provider(NURSE, "Bastian Okonkwo, RN", { credential: "registered_nurse" });
    const doc = await clinic.token(DOC);
    patientId = (await clinic.post<{ id: string }>("/api/v1/patients", { ...PATIENT, allergies: [] }, doc)).id;
    await clinic.post(`/api/v1/patients/${patientId}/care-team`, { provider_id: nurseId, role: "nurse" }, doc);
    await clinic.post(`/api/v1/patients/${patientId}/visits`, { visit_date: VISIT_AT, chief_complaint: "Night-time palpitations", diagnosis: "Sinus tachycardia" }, doc);
    const invite = await clinic.post<{ invite_code: string }>(`/api/v1/patients/${patientId}/invite`, {}, doc);
    await clinic.post("/api/v1/auth/signup", {
      email: PATIENT_EMAIL, password: E2E_PASSWORD, full_name: `${PATIENT.first_name} ${PATIENT.last_name}`, role: "patient", invite_code: invite.invite_code, date_of_birth: PATIENT.date_of_birth,
    });
    // 27 more patients: the list has a second page (25 a page) to go Back to.
    for (let i = 0; i < 27; i++) {
      await clinic.post("/api/v1/patients", { first_name: `Zed${String(i).padStart(2, "0")}`, last_name: `Zzyzx${String(i).padStart(2, "0")}`, date_of_birth: "1990-01-01", gender: "male", allergies: [] }, doc);
    }
  }, 300_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  /** A context in `timezoneId`, signed in as `email`, collecting console errors and failed requests. */
  async function open(timezoneId: string, email: string, extra: Record<string, string> = {}) {
    const ctx = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId });
    contexts.push(ctx);
    await clinic.signInContext(ctx, email, extra);
    const page = await ctx.newPage();
    const errors: string[] = [];
    const missing: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("response", (r) => {
      if (r.status() === 404 && !r.url().includes("/_next/data")) missing.push(r.url());
    });
    return { ctx, page, errors, missing };
  }

  /** Loads a page and lets it hydrate and settle; the texts of its <time> elements before and after. */
  async function visit(page: Page, path: string) {
    const res = await page.goto(path, { waitUntil: "networkidle" });
    const first = await page.locator("time").allTextContents();
    await page.waitForTimeout(1500);
    const later = await page.locator("time").allTextContents();
    return { status: res?.status(), first, later };
  }

  const hydrationErrors = (errors: string[]) => errors.filter((e) => /hydrat|#418|#423|#425|did not match/i.test(e));

  for (const zone of BROWSER_ZONES) {
    it(`renders /patients, a chart, /account, /admin/users and /my-records without a hydration error in ${zone}`, async () => {
      const tag = zone.split("/")[1].toLowerCase();
      const doc = await open(zone, DOC);

      const list = await visit(doc.page, "/patients");
      expect(list.status).toBe(200);
      const row = doc.page.getByRole("row").filter({ hasText: PATIENT.last_name });
      await expect.poll(() => row.textContent()).toContain(VISIT_DAY_IN_CLINIC);
      a11y[`patients-${tag}`] = await seriousViolations(doc.page);

      await visit(doc.page, `/patients/${patientId}`);
      await doc.page.getByRole("tab", { name: /Visits/ }).click();
      await expect.poll(() => doc.page.getByRole("row").filter({ hasText: "Night-time palpitations" }).textContent()).toContain(VISIT_DAY_IN_CLINIC);

      const account = await visit(doc.page, "/account");
      expect(account.status).toBe(200);
      // The sessions list: every time with the clinic's zone, the same before and after hydration.
      const sessionText = await doc.page.getByText(/^Signed in /).first().textContent();
      expect(sessionText).toMatch(/Signed in [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M C[SD]T/);
      expect(account.later).toEqual(account.first);
      a11y[`account-${tag}`] = await seriousViolations(doc.page);
      if (zone === "Asia/Kolkata") await screenshots(doc.page, "time-zones-account");

      expect(hydrationErrors(doc.errors), doc.errors.join("\n")).toEqual([]);

      const admin = await open(zone, ADMIN, { recovery_code: clinic.adminRecoveryCodes[zone === "Asia/Kolkata" ? 1 : 0] });
      const users = await visit(admin.page, "/admin/users");
      expect(users.status).toBe(200);
      await expect.poll(() => admin.page.getByRole("row").filter({ hasText: DOC }).count()).toBeGreaterThan(0);
      a11y[`admin-users-${tag}`] = await seriousViolations(admin.page);
      expect(hydrationErrors(admin.errors), admin.errors.join("\n")).toEqual([]);

      const patient = await open(zone, PATIENT_EMAIL);
      const records = await visit(patient.page, "/my-records");
      expect(records.status).toBe(200);
      await patient.page.getByRole("tab", { name: /Visits/ }).click();
      await expect.poll(() => patient.page.getByRole("row").filter({ hasText: "Night-time palpitations" }).textContent()).toContain(VISIT_DAY_IN_CLINIC);
      await patient.page.getByRole("tab", { name: "Access log" }).click();
      const firstTime = patient.page.getByTestId("access-log-row").first().locator("time");
      await expect.poll(() => firstTime.textContent()).toMatch(/ C[SD]T$/);
      // The shown time is the clinic's rendering of the instant in the element's datetime.
      const iso = await firstTime.getAttribute("datetime");
      expect(await firstTime.textContent()).toBe(clinicDateTime(iso!));
      a11y[`my-records-${tag}`] = await seriousViolations(patient.page);
      expect(hydrationErrors(patient.errors), patient.errors.join("\n")).toEqual([]);

      // No 404 for the icon (or anything else) on any of these pages.
      expect([...doc.missing, ...admin.missing, ...patient.missing]).toEqual([]);
    }, 180_000);
  }

  it("answers a patient's /admin with a real 404 and nothing of the admin pages", async () => {
    const cookie = await clinic.cookieHeader(PATIENT_EMAIL);
    for (const path of ["/admin", "/admin/audit", "/admin/users"]) {
      const r = await fetch(server.url + path, { headers: { cookie }, redirect: "manual" });
      const html = await r.text();
      expect(r.status, path).toBe(404);
      expect(html).toContain("Page not found");
      for (const text of ["Audit trail", "Administration", "Outbox", "Verify providers"]) expect(html, `${path}: ${text}`).not.toContain(text);
    }
    const adminCookie = await clinic.cookieHeader(ADMIN, { recovery_code: clinic.adminRecoveryCodes[2] });
    expect((await fetch(server.url + "/admin", { headers: { cookie: adminCookie }, redirect: "manual" })).status).toBe(200);
  });

  it("serves the icon and the favicon", async () => {
    const ico = await fetch(server.url + "/favicon.ico");
    expect(ico.status).toBe(200);
    const svg = await fetch(server.url + "/icon.svg");
    expect(svg.status).toBe(200);
    expect(svg.headers.get("content-type")).toMatch(/svg/);
  });

  it("comes Back from a chart to the page of the list the address bar names", async () => {
    const doc = await open("America/New_York", DOC);
    await visit(doc.page, "/patients");
    await doc.page.getByRole("button", { name: "Next" }).click();
    await doc.page.waitForURL((u) => u.searchParams.get("page") === "2");
    await expect.poll(() => doc.page.getByText(/^26–\d+ of \d+ patients$/).count()).toBe(1);
    const secondPageName = (await doc.page.getByRole("row").nth(1).getByRole("link").textContent())!;
    await doc.page.getByRole("row").nth(1).getByRole("link").click();
    await doc.page.waitForURL(/\/patients\/[0-9a-f-]{36}/);
    await doc.page.goBack();
    await doc.page.waitForURL((u) => u.searchParams.get("page") === "2");
    await expect.poll(() => doc.page.getByText("Page 2 of").count()).toBe(1);
    await expect.poll(() => doc.page.getByRole("row").nth(1).getByRole("link").textContent()).toBe(secondPageName);
  });

  it("keeps a search typed before the page hydrated", async () => {
    const doc = await open("Asia/Kolkata", DOC);
    // Hold the page's scripts back, type, then let them run: the typed text must survive hydration.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    // Scripts only: held style sheets would keep the page from painting at all.
    await doc.page.route((url) => url.pathname.startsWith("/_next/static/chunks/") && url.pathname.endsWith(".js"), async (route) => {
      await held;
      await route.continue();
    });
    await doc.page.goto("/patients", { waitUntil: "commit" });
    const input = doc.page.getByLabel("Search by name or MRN");
    await input.waitFor();
    await input.fill(PATIENT.last_name.slice(0, 8));
    release();
    await doc.page.waitForLoadState("networkidle");
    await doc.page.waitForTimeout(500);
    await expect.poll(() => input.inputValue()).toBe(PATIENT.last_name.slice(0, 8));
    await input.press("Enter");
    await expect.poll(() => doc.page.getByText(/^1–1 of 1 patients$/).count()).toBe(1);
    expect(doc.page.url()).not.toContain(PATIENT.last_name.slice(0, 8));
  });

  it("shows a new message's unread badge on the open dashboard without a reload", async () => {
    const doc = await open("America/New_York", DOC);
    await visit(doc.page, "/patients");
    const row = doc.page.getByRole("row").filter({ hasText: PATIENT.last_name });
    await expect.poll(() => row.textContent()).toContain(PATIENT.last_name);
    expect(await row.getByTestId("unread-badge").count()).toBe(0);
    const navigations: string[] = [];
    doc.page.on("framenavigated", (f) => navigations.push(f.url()));
    await clinic.post(`/api/v1/patients/${patientId}/messages`, { message: "Please call the patient back about the Holter results." }, await clinic.token(NURSE));
    await expect.poll(() => row.getByTestId("unread-badge").textContent(), { timeout: 40_000, interval: 1000 }).toContain("1 unread message");
    expect(navigations).toEqual([]);
  }, 60_000);

  it("updates the sessions list after a password change signs the other session out", async () => {
    const other = await open("Asia/Kolkata", PATIENT_EMAIL);
    await visit(other.page, "/my-records");
    const me = await open("America/New_York", PATIENT_EMAIL);
    await visit(me.page, "/account");
    const sessions = me.page.getByText(/^Signed in /);
    await expect.poll(() => sessions.count()).toBeGreaterThanOrEqual(2);
    const before = await sessions.count();
    await me.page.getByLabel(/^Current password/).fill(E2E_PASSWORD);
    await me.page.getByLabel(/^New password/).fill("a different sturdy kettle lamp");
    await me.page.getByLabel("Repeat the new password").fill("a different sturdy kettle lamp");
    await me.page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => me.page.getByText(/other sessions? (was|were) signed out/).count()).toBe(1);
    // Without a reload: only this device's session is left in the list.
    await expect.poll(() => sessions.count()).toBe(1);
    expect(before).toBeGreaterThan(1);
  }, 60_000);

  it("finds no serious or critical accessibility violations", () => {
    const failures = Object.entries(a11y).filter(([, v]) => v.length > 0);
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    expect(Object.keys(a11y).length).toBe(8);
  });
});
