import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ClinicApi, E2E_PASSWORD } from "./clinic-api";
import { ensureBuild, hasChromium, launchBrowser, newContext, screenshots, seriousViolations, startServer, type RunningServer } from "./support";
import { startTestSmtp, type TestSmtp } from "../support/smtp";

/**
 * Issue #14: account administration on /admin/users in Chromium, against the production
 * server whose mail worker delivers to a real SMTP server: add a staff member by invitation,
 * send it again (the first link dies), the invitee chooses a password through the link read
 * from the mail; unlock an account locked by failed sign-ins; deactivate with a reason;
 * search and sort; axe at 1280 and 360 px.
 */
describe.skipIf(!hasChromium)("account administration in the browser", () => {
  let server: RunningServer;
  let smtp: TestSmtp;
  let browser: Browser;
  let clinic: ClinicApi;
  const contexts: BrowserContext[] = [];
  const ADMIN = "ada@staff.test";
  const LOCKED = "lou@staff.test";
  const NURSE = "nina@staff.test";
  const NURSE_PASSWORD = "harbour lantern quiet meadow";

  async function adminPage(): Promise<Page> {
    const ctx = await newContext(browser, server.url);
    contexts.push(ctx);
    await clinic.signInContext(ctx, ADMIN, { recovery_code: clinic.adminRecoveryCodes.shift()! });
    return ctx.newPage();
  }
  const signIn = (email: string, password: string) =>
    fetch(`${server.url}/api/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  const invitesTo = (email: string) => smtp.mails.filter((m) => (Array.isArray(m.to) ? m.to[0] : m.to)?.text === email && m.subject?.startsWith("You are invited"));
  const linkIn = (text: string | undefined) => /http:\/\/portal\.clinic\.test(\/accept-invite#token=[A-Za-z0-9_%-]+)/.exec(text ?? "")?.[1];

  beforeAll(async () => {
    ensureBuild();
    smtp = await startTestSmtp();
    server = await startServer({ SMTP_URL: smtp.url, PUBLIC_URL: "http://portal.clinic.test", CLINIC_NAME: "Riverside Clinic" });
    clinic = new ClinicApi(server.url);
    await clinic.setUpAdmin(ADMIN);
    await clinic.provider(LOCKED, "Lou Locked");
    browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await smtp?.close();
  });

  it("adds a nurse by invitation, sends it again, and the nurse sets a password through the link", async () => {
    const p = await adminPage();
    await p.goto("/admin/users");
    await p.getByRole("button", { name: "Add staff or admin" }).click();
    const dialog = p.getByRole("dialog", { name: "Add staff or admin" });
    await dialog.waitFor();
    await dialog.getByLabel("Full name").fill("Nina Nurse");
    await dialog.getByLabel("Email").fill(NURSE);
    await dialog.getByLabel("Credential").selectOption("registered_nurse");
    // the license is missing: the server's rule, shown on the field
    await dialog.getByLabel("Specialty").fill("Wards");
    await dialog.getByRole("button", { name: "Add and send invitation" }).click();
    await expect.poll(() => dialog.getByLabel("License number").getAttribute("aria-invalid")).toBe("true");
    expect(await seriousViolations(p)).toEqual([]);
    await dialog.getByLabel("License number").fill("RN-2044");
    await dialog.getByRole("button", { name: "Add and send invitation" }).click();
    await p.getByText(`Nina Nurse is added; an invitation is on its way to ${NURSE}.`).waitFor();
    const row = p.getByTestId(`user-${NURSE}`).first();
    await row.getByText("Invited", { exact: true }).waitFor();
    expect(await row.getByText("No", { exact: true }).count()).toBe(1); // email not confirmed yet

    await expect.poll(() => invitesTo(NURSE).length, { timeout: 20_000 }).toBe(1);
    const first = linkIn(invitesTo(NURSE)[0].text);
    expect(first).toBeTruthy();

    await row.getByRole("button", { name: "Send the invitation to Nina Nurse again" }).click();
    await p.getByText(`A new invitation is on its way to ${NURSE}; the earlier link no longer works.`).waitFor();
    await expect.poll(() => invitesTo(NURSE).length, { timeout: 20_000 }).toBe(2);
    const second = linkIn(invitesTo(NURSE)[1].text);
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);

    // the invitee, in a browser of their own: the first link is dead, the second works once
    const ctx = await newContext(browser, server.url);
    contexts.push(ctx);
    const nurse = await ctx.newPage();
    await nurse.goto(first!);
    await nurse.locator("#password").fill(NURSE_PASSWORD);
    await nurse.getByLabel("Password again").fill(NURSE_PASSWORD);
    await nurse.getByRole("button", { name: "Set my password" }).click();
    await expect.poll(() => nurse.getByRole("alert").first().textContent()).toContain("no longer valid");

    await nurse.goto("/sign-in");
    await nurse.goto(second!);
    await expect.poll(() => nurse.locator("#password").isVisible()).toBe(true);
    expect(nurse.url()).not.toContain("token=");
    expect(await seriousViolations(nurse)).toEqual([]);
    await nurse.locator("#password").fill(NURSE_PASSWORD);
    await nurse.getByLabel("Password again").fill(NURSE_PASSWORD);
    await nurse.getByRole("button", { name: "Set my password" }).click();
    await expect.poll(() => nurse.getByTestId("invite-done").textContent()).toContain(`Sign in as ${NURSE}`);
    await nurse.setViewportSize({ width: 360, height: 780 });
    expect(await nurse.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect((await signIn(NURSE, NURSE_PASSWORD)).status).toBe(200);

    await p.reload();
    const after = p.getByTestId(`user-${NURSE}`).first();
    await after.getByText("Yes", { exact: true }).waitFor(); // the link confirmed the address
    expect(await after.getByText("Invited", { exact: true }).count()).toBe(0);
  });

  it("unlocks a locked account, deactivates with a reason, searches and sorts; clean with axe at 1280 and 360 px", async () => {
    for (let i = 0; i < 5; i++) await signIn(LOCKED, `wrong guess ${i}`);
    const locked = await signIn(LOCKED, E2E_PASSWORD);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { error: { message: string } }).error.message).toMatch(/locked for \d+ seconds/);

    const p = await adminPage();
    await p.setViewportSize({ width: 1280, height: 900 });
    await p.goto("/admin/users");
    const row = p.getByTestId(`user-${LOCKED}`).first();
    await row.getByText("Locked", { exact: true }).waitFor();
    expect(await seriousViolations(p)).toEqual([]);
    await screenshots(p, "admin-users-1280");
    await row.getByRole("button", { name: "Unlock Lou Locked" }).click();
    await p.getByText("Lou Locked can sign in again.").waitFor();
    await expect.poll(() => row.getByText("Locked", { exact: true }).count()).toBe(0);
    expect((await signIn(LOCKED, E2E_PASSWORD)).status).toBe(200);

    // search (the text stays out of the URL) and sort by name
    await p.getByLabel("Search by name or email").fill("lou@");
    await p.getByRole("button", { name: "Search", exact: true }).click();
    const all = p.locator("section", { has: p.getByRole("heading", { name: /^All accounts/ }) });
    await expect.poll(() => all.locator("tbody tr").count()).toBe(1);
    expect(p.url()).not.toContain("lou");
    await p.getByRole("button", { name: "Clear search" }).click();
    await expect.poll(() => all.locator("tbody tr").count()).toBeGreaterThan(2);
    await all.getByRole("button", { name: "Name" }).click();
    await expect.poll(() => all.getByRole("columnheader", { name: "Name" }).getAttribute("aria-sort")).toBe("ascending");
    // the rows arrive from the server (the sort is the database's), after the header shows the new order
    const names = () => all.locator("tbody tr td:first-child").allTextContents();
    await expect.poll(async () => (await names()).join("|")).toBe(["Ada Admin", "Lou Locked", "Nina Nurse"].join("|"));

    // deactivate: a dialog, a reason required
    await row.getByRole("button", { name: "Deactivate Lou Locked" }).click();
    const dialog = p.getByRole("dialog", { name: "Deactivate Lou Locked?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Deactivate" }).click();
    await expect.poll(() => dialog.getByLabel("Reason").getAttribute("aria-invalid")).toBe("true");
    expect(await seriousViolations(p)).toEqual([]);
    await dialog.getByLabel("Reason").fill("Left the clinic on Friday");
    await dialog.getByRole("button", { name: "Deactivate" }).click();
    await p.getByText("Lou Locked is deactivated and signed out.").waitFor();
    await expect.poll(() => p.getByTestId(`user-${LOCKED}`).first().getByText("Deactivated", { exact: true }).count()).toBe(1);
    expect((await signIn(LOCKED, E2E_PASSWORD)).status).toBe(401);

    await p.setViewportSize({ width: 360, height: 780 });
    await p.reload();
    await p.getByRole("heading", { name: "Users" }).waitFor();
    expect(await seriousViolations(p)).toEqual([]);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshots(p, "admin-users-360");
  });
});
