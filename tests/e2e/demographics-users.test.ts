import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ensureBuild, hasChromium, launchBrowser, newContext, screenshots, seriousViolations, startServer, type RunningServer } from "./support";
import { ClinicApi, E2E_PASSWORD } from "./clinic-api";

/**
 * Two staff screens in Chromium, on a clinic set up through the API:
 *   the chart's "Edit demographics" dialog (care team): field messages from the shared zod
 *   schema, nothing typed lost on a refusal, saved values on the chart after the toast;
 *   /admin/users: pending providers, role/status filters and pages of 50 with the total;
 *   resetting another account's two-step verification (reason required, audited).
 */
const ADMIN = "admin@edits.test";
const DOC = "doc@edits.test";
const OTHER = "other@edits.test";

describe.skipIf(!hasChromium)("demographics edit and admin users", () => {
  let server: RunningServer;
  let browser: Browser;
  let clinic: ClinicApi;
  let patientId = "";
  const contexts: BrowserContext[] = [];

  async function signedInPage(email: string, extra: Record<string, string> = {}): Promise<Page> {
    const ctx = await newContext(browser, server.url);
    contexts.push(ctx);
    await clinic.signInContext(ctx, email, extra);
    return ctx.newPage();
  }

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    browser = await launchBrowser();
    clinic = new ClinicApi(server.url);
    await clinic.setUpAdmin(ADMIN);
    await clinic.provider(DOC, "Dr Rosalind Franklin");
    await clinic.provider(OTHER, "Dr Waiting Person", { verified: false });
    const patient = await clinic.post<{ id: string }>(
      "/api/v1/patients",
      { first_name: "Tobias", last_name: "Wendell", date_of_birth: "1984-02-11", gender: "male", mrn: "MRN-ED-1001", allergies: ["Latex"] },
      await clinic.token(DOC),
    );
    patientId = patient.id;
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("edits demographics: field messages, input kept on refusal, saved values shown", async () => {
    const p = await signedInPage(DOC);
    await p.goto(`/patients/${patientId}`);
    await p.getByRole("tab", { name: "Demographics" }).click();
    await p.getByRole("button", { name: "Edit demographics" }).click();
    const dialog = p.getByRole("dialog", { name: "Edit demographics" });
    await dialog.waitFor();
    // The saved record fills the form.
    expect(await dialog.getByLabel("Last name").inputValue()).toBe("Wendell");
    expect(await dialog.getByRole("list", { name: "Added" }).textContent()).toContain("Latex");

    await dialog.getByLabel("First name").fill("");
    await dialog.getByLabel("Address").fill("12 Harbour Road\nPortsmouth");
    await dialog.getByRole("group", { name: "Emergency contact" }).getByLabel("Name").fill("Mara Wendell");
    await dialog.getByLabel("Phone").fill("call me");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => p.locator("#ed-first_name-error").textContent()).toMatch(/required/i);
    await expect.poll(() => p.locator("#ed-ec_phone-error").textContent()).toMatch(/phone number/i);
    // Nothing typed is lost.
    expect(await dialog.getByLabel("Address").inputValue()).toBe("12 Harbour Road\nPortsmouth");
    await screenshots(p, "edit-demographics-errors");
    expect(await seriousViolations(p)).toEqual([]);

    await dialog.getByLabel("First name").fill("Tobias");
    await dialog.getByLabel("Phone").fill("+44 23 9200 0000");
    const allergy = dialog.getByLabel("Allergies");
    await allergy.fill("Penicillin");
    await allergy.press("Enter");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await p.getByText("Demographics saved.").waitFor();
    await expect.poll(() => dialog.count()).toBe(0);
    // The chart shows what was saved (router.refresh()).
    await expect.poll(() => p.getByText("12 Harbour Road").count()).toBeGreaterThan(0);
    await expect.poll(() => p.getByText("Mara Wendell").count()).toBeGreaterThan(0);
    await expect.poll(() => p.getByText("Penicillin").count()).toBeGreaterThan(0);

    // And so does the API.
    const r = await fetch(`${server.url}/api/v1/patients/${patientId}`, { headers: { authorization: `Bearer ${await clinic.token(DOC)}` } });
    const saved = (await r.json()) as { allergies: string[]; address: string; emergency_contact: { phone: string } };
    expect(saved.allergies).toEqual(["Latex", "Penicillin"]);
    expect(saved.address).toBe("12 Harbour Road\nPortsmouth");
    expect(saved.emergency_contact.phone).toBe("+44 23 9200 0000");
  });

  it("pages and filters the admin's user list", { timeout: 240_000 }, async () => {
    // 50 more providers: 53 accounts in all, two pages of 50.
    for (let i = 0; i < 50; i++) {
      await clinic.post(
        "/api/v1/admin/users",
        { email: `bulk${String(i).padStart(2, "0")}@edits.test`, password: E2E_PASSWORD, full_name: `Bulk Provider ${i}`, role: "provider", credential: "registered_nurse", license_number: `LIC-B${i}`, specialty: "Nursing" },
        clinic.adminToken,
      );
    }
    const p = await signedInPage(ADMIN, { recovery_code: clinic.adminRecoveryCodes[0] });
    await p.goto("/admin/users");
    await p.getByRole("heading", { name: "Providers waiting for verification (1)" }).waitFor();
    const waiting = p.locator("section", { has: p.getByRole("heading", { name: /Providers waiting/ }) });
    expect(await waiting.getByTestId(`user-${OTHER}`).count()).toBe(1);
    await p.getByRole("heading", { name: /^All accounts \(\d+\)$/ }).waitFor();
    const total = Number((await p.getByRole("heading", { name: /^All accounts/ }).textContent())!.match(/\((\d+)\)/)![1]);
    expect(total).toBeGreaterThan(50);
    const pager = p.getByRole("navigation", { name: "Pages of accounts" });
    expect(await pager.textContent()).toContain(`1–50 of ${total} accounts`);
    expect(await pager.textContent()).toContain("Page 1 of 2");
    await scanAndShoot(p, "admin-users-paged");

    // paging, sorting and the search stay out of the URL (the search text may be a patient's name)
    await pager.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => pager.textContent()).toContain(`51–${total} of ${total} accounts`);
    expect(await pager.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);

    await p.getByLabel("Status").selectOption("pending");
    await p.waitForURL(/\/admin\/users\?status=pending/);
    await p.getByRole("heading", { name: "Matching accounts (1)" }).waitFor();
    expect(await pager.textContent()).toContain("Page 1 of 1");
    await p.getByLabel("Role").selectOption("patient");
    await p.waitForURL(/\/admin\/users\?role=patient&status=pending/);
    await p.getByText("No account has this role and status. Change the filters above.").waitFor();
  });

  it("resets a provider's two-step verification after a lost phone", async () => {
    const email = "lostphone@edits.test";
    await clinic.provider(email, "Dr Lost Phone");
    await clinic.enableMfa(email);
    // without the second factor, the password alone is refused
    const before = await fetch(`${server.url}/api/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: E2E_PASSWORD }) });
    expect(before.status).toBe(401);

    const p = await signedInPage(ADMIN, { recovery_code: clinic.adminRecoveryCodes[1] });
    await p.goto("/admin/users");
    const row = p.getByTestId(`user-${email}`).first();
    await row.getByText("2FA", { exact: true }).waitFor();
    await row.getByRole("button", { name: "Reset two-step verification of Dr Lost Phone" }).click();
    const dialog = p.getByRole("dialog", { name: /Reset Dr Lost Phone/ });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Reset two-step verification" }).click();
    await expect.poll(() => dialog.getByText(/Say why/).count()).toBeGreaterThan(0);
    expect(await seriousViolations(p)).toEqual([]);
    await dialog.getByLabel("Reason").fill("Lost phone; identity checked in person");
    await dialog.getByRole("button", { name: "Reset two-step verification" }).click();
    await p.getByText("Dr Lost Phone's two-step verification is reset; they are signed out everywhere.").waitFor();
    await expect.poll(() => row.getByText("2FA", { exact: true }).count()).toBe(0);
    expect(await row.getByRole("button", { name: /Reset two-step verification/ }).count()).toBe(0);

    // the password alone signs in again
    const after = await fetch(`${server.url}/api/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: E2E_PASSWORD }) });
    expect(after.status).toBe(200);
  });

  async function scanAndShoot(p: Page, name: string) {
    await p.waitForLoadState("networkidle");
    expect(await seriousViolations(p)).toEqual([]);
    await screenshots(p, name);
  }
});
