import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ensureBuild, hasChromium, launchBrowser, newContext, screenshots, seriousViolations, startServer, type RunningServer } from "./support";
import { ClinicApi, E2E_PASSWORD } from "./clinic-api";

/**
 * Issue #18 in the browser, against the production server: a nurse outside the care team
 * breaks the glass (form, then the chart with its banner naming the reason and the time
 * left, read-only, ended early); the admin reviews it; the patient sees it with its reason,
 * shares part of their record, and an outside clinician opens the link with the code.
 * Every page is axe-scanned at 1280 px and at 360 px, where nothing may overflow sideways.
 */
const PATIENT = { first_name: "Marisol", last_name: "Quintero-Haas", mrn: "MRN-E2E-7781", date_of_birth: "1966-02-11", gender: "female" };
const PATIENT_EMAIL = "marisol@emerg.test";
const REASON = "Collapsed in the lobby, unresponsive, no relatives here";

async function checkPage(page: Page, name: string): Promise<void> {
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: width === 360 ? 780 : 900 });
    await page.waitForTimeout(150);
    expect(await seriousViolations(page), `${name} at ${width}px`).toEqual([]);
    if (width === 360) expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} overflows at 360px`).toBeLessThanOrEqual(360);
  }
  await screenshots(page, `emergency-sharing-${name}`);
}

describe.skipIf(!hasChromium)("emergency access and sharing in the browser", () => {
  let server: RunningServer;
  let browser: Browser;
  let clinic: ClinicApi;
  let patientId = "";
  let shareUrl = "";
  let shareCode = "";

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    browser = await launchBrowser();
    clinic = new ClinicApi(server.url);
    await clinic.setUpAdmin("admin@emerg.test");
    await clinic.provider("attending@emerg.test", "Dr Ines Attending");
    await clinic.provider("nurse@emerg.test", "Nurse Kofi Outside", { credential: "registered_nurse" });
    const doc = await clinic.token("attending@emerg.test");
    patientId = (await clinic.post<{ id: string }>("/api/v1/patients", { ...PATIENT, allergies: ["Latex"] }, doc)).id;
    await clinic.post(`/api/v1/patients/${patientId}/visits`, { visit_date: "2026-11-30T10:00:00Z", visit_type: "office", chief_complaint: "Dizziness", diagnosis: "Orthostatic hypotension" }, doc);
    const invite = await clinic.post<{ invite_code: string }>(`/api/v1/patients/${patientId}/invite`, {}, doc);
    await clinic.post("/api/v1/auth/signup", {
      email: PATIENT_EMAIL, password: E2E_PASSWORD, full_name: `${PATIENT.first_name} ${PATIENT.last_name}`, role: "patient", invite_code: invite.invite_code, date_of_birth: PATIENT.date_of_birth,
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("a nurse outside the care team breaks the glass: reason required, then a read-only chart with a banner, ended early", async () => {
    const ctx = await newContext(browser, server.url);
    await clinic.signInContext(ctx, "nurse@emerg.test");
    const page = await ctx.newPage();
    // before: the chart does not exist for them
    expect((await page.goto(`/patients/${patientId}`))?.status()).toBe(404);
    await page.goto("/emergency-access");
    await page.getByRole("link", { name: "Emergency access" }).waitFor();
    await checkPage(page, "form");
    await page.getByLabel("Medical record number (MRN)").fill(PATIENT.mrn);
    await page.getByLabel("Date of birth").fill(PATIENT.date_of_birth);
    await page.getByLabel("Reason").fill("urgent");
    await page.getByRole("button", { name: "Open emergency access" }).click();
    await expect.poll(() => page.locator("#emergency-reason-error").textContent()).toMatch(/10 characters/);
    // a wrong date of birth: the same answer as an unknown MRN
    await page.getByLabel("Reason").fill(REASON);
    await page.getByLabel("Date of birth").fill("1966-02-12");
    await page.getByRole("button", { name: "Open emergency access" }).click();
    await page.getByRole("alert").filter({ hasText: "No patient matches" }).waitFor();
    await page.getByLabel("Date of birth").fill(PATIENT.date_of_birth);
    await page.getByRole("button", { name: "Open emergency access" }).click();
    await page.waitForURL(`**/patients/${patientId}`);
    const banner = page.getByTestId("emergency-banner");
    await banner.waitFor();
    await expect.poll(() => banner.textContent()).toContain(REASON);
    await expect.poll(() => page.getByTestId("emergency-time-left").textContent()).toMatch(/^(59|60) minutes$/);
    await page.getByRole("heading", { name: new RegExp(PATIENT.last_name) }).first().waitFor();
    // read-only: no way to chart here
    expect(await page.getByRole("button", { name: /new visit|record a visit/i }).count()).toBe(0);
    await checkPage(page, "chart-banner");
    await page.getByRole("button", { name: "End emergency access" }).click();
    await page.waitForURL("**/patients");
    expect((await page.goto(`/patients/${patientId}`))?.status()).toBe(404);
    await ctx.close();
  });

  it("the admin sees it on the hub and reviews it; the patient sees who and why", async () => {
    const ctx = await newContext(browser, server.url);
    await clinic.signInContext(ctx, "admin@emerg.test", { recovery_code: clinic.adminRecoveryCodes[0] });
    const page = await ctx.newPage();
    await page.goto("/admin");
    await page.getByText("1 break-the-glass access to review.").waitFor();
    await page.goto("/admin/emergency-access");
    const card = page.getByTestId("emergency-grant").first();
    await card.waitFor();
    await expect.poll(() => card.textContent()).toContain(REASON);
    expect(Number(await card.getByTestId("emergency-reads").textContent())).toBeGreaterThan(0);
    await checkPage(page, "admin-review");
    await card.getByLabel("Outcome").selectOption("appropriate");
    await card.getByLabel("Note").fill("Confirmed with the ER log");
    await card.getByRole("button", { name: "Record review" }).click();
    await page.getByText("Every emergency access has been reviewed.").waitFor();
    await ctx.close();

    const pctx = await newContext(browser, server.url);
    await clinic.signInContext(pctx, PATIENT_EMAIL);
    const pp = await pctx.newPage();
    await pp.goto("/my-records");
    await pp.getByRole("tab", { name: "Access log" }).click();
    const mine = pp.getByTestId("my-emergency-accesses");
    await mine.waitFor();
    await expect.poll(() => mine.textContent()).toContain(REASON);
    expect(await mine.textContent()).toContain("Nurse Kofi Outside");
    await checkPage(pp, "patient-access-log");
    await pctx.close();
  });

  it("the patient shares visits; the recipient needs the code, sees only visits; the patient sees the view and revokes", async () => {
    const ctx = await newContext(browser, server.url);
    await clinic.signInContext(ctx, PATIENT_EMAIL);
    const page = await ctx.newPage();
    await page.goto("/my-records");
    await page.getByRole("tab", { name: "Sharing" }).click();
    await page.getByRole("checkbox", { name: "Prescriptions" }).uncheck();
    await page.getByLabel("Who it is for").fill("Dr. Rivera, cardiology");
    await page.getByLabel("Works for (days, 1 to 30)").fill("31");
    await page.getByRole("button", { name: "Create link" }).click();
    await page.locator("#share-days-error").waitFor();
    await page.getByLabel("Works for (days, 1 to 30)").fill("7");
    await page.getByRole("button", { name: "Create link" }).click();
    await page.getByTestId("share-created").waitFor();
    shareUrl = await page.getByTestId("share-url").inputValue();
    shareCode = (await page.getByTestId("share-code").textContent())!.trim();
    expect(shareUrl).toMatch(/\/share#[A-Za-z0-9_-]{43}$/);
    expect(shareCode).toMatch(/^\d{6}$/);
    await checkPage(page, "patient-sharing");

    // the recipient: no account, a fresh browser
    const rctx = await newContext(browser, server.url);
    const r = await rctx.newPage();
    await r.goto(shareUrl.replace(/^https?:\/\/[^/]+/, server.url));
    await r.getByLabel("Code").waitFor();
    expect(r.url()).not.toContain("#"); // the token left the address bar
    await checkPage(r, "recipient-code");
    await r.getByLabel("Code").fill(String((Number(shareCode) + 1) % 1_000_000).padStart(6, "0"));
    await r.getByRole("button", { name: "Open" }).click();
    await expect.poll(() => r.locator("#share-code-error").textContent()).toContain("not right");
    await r.getByLabel("Code").fill(shareCode);
    await r.getByRole("button", { name: "Open" }).click();
    const shared = r.getByTestId("shared-record");
    await shared.waitFor();
    const text = (await shared.textContent())!;
    expect(text).toContain("Dizziness");
    expect(text).toContain(PATIENT.last_name);
    expect(text).not.toContain("Prescriptions");
    expect(text).not.toContain(PATIENT.mrn);
    expect(text).not.toContain("Latex");
    await checkPage(r, "recipient-view");

    // the patient sees the view, then revokes; the link stops at once
    await page.reload();
    await page.getByRole("tab", { name: "Sharing" }).click();
    const row = page.getByTestId("share-row").first();
    await expect.poll(() => row.getByTestId("share-views").textContent()).toContain("Viewed 1 time");
    await row.getByRole("button", { name: /Revoke the link/ }).click();
    await expect.poll(() => row.textContent()).toContain("Revoked");
    const again = await rctx.newPage();
    await again.goto(shareUrl.replace(/^https?:\/\/[^/]+/, server.url));
    await again.getByLabel("Code").fill(shareCode);
    await again.getByRole("button", { name: "Open" }).click();
    await again.getByTestId("share-dead").waitFor();
    await rctx.close();
    await ctx.close();
  });
});
