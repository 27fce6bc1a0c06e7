import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClinicApi } from "./clinic-api";
import { hasChromium, newContext, screenshots, seriousViolations, serverAndBrowser } from "./support";
import { startTestSmtp, type TestSmtp } from "../support/smtp";

/**
 * Issue #14: "Forgot password?" in Chromium, against the production server with its mail
 * worker delivering to a real SMTP server: the link is read from the delivered mail.
 */
describe.skipIf(!hasChromium)("password reset in the browser", () => {
  let smtp: TestSmtp;
  let api: ClinicApi;
  const email = "dana@reset.test";
  const NEW_PASSWORD = "lantern meadow copper violin";

  beforeAll(async () => {
    smtp = await startTestSmtp();
  });
  afterAll(async () => {
    await smtp?.close();
  });
  const run = serverAndBrowser(() => ({ SMTP_URL: smtp.url, PUBLIC_URL: "http://portal.clinic.test", CLINIC_NAME: "Riverside Clinic" }));
  beforeAll(async () => {
    api = new ClinicApi(run.server.url);
    await api.setUpAdmin("admin@reset.test");
    await api.provider(email, "Dana Reset");
  }, 300_000);

  it("from the sign-in page to a new password, with the link from the mail; the link then works no more", async () => {
    const ctx = await newContext(run.browser, run.server.url);
    const page = await ctx.newPage();
    await page.goto("/sign-in");
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.waitForURL("**/forgot-password");
    expect(await seriousViolations(page)).toEqual([]);

    // a malformed address is refused on the field, announced through aria-describedby
    await page.getByLabel("Email").fill("not-an-address");
    await page.getByRole("button", { name: "Send me a reset link" }).click();
    await expect.poll(() => page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");
    await expect.poll(() => page.getByRole("alert").first().textContent()).toContain("correct the highlighted");

    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send me a reset link" }).click();
    await expect.poll(() => page.getByTestId("forgot-sent").textContent()).toContain("If this address belongs to an account");
    await screenshots(page, "forgot-password-sent");

    // the admin's "two-factor sign-in turned on" notice came first; the reset link is the mail to Dana
    await expect.poll(() => smtp.mails.some((m) => m.subject?.startsWith("Reset")), { timeout: 20_000 }).toBe(true);
    const mail = smtp.mails.find((m) => m.subject?.startsWith("Reset"))!;
    expect((Array.isArray(mail.to) ? mail.to[0] : mail.to)?.text).toBe(email);
    const link = /http:\/\/portal\.clinic\.test(\/reset-password#token=[A-Za-z0-9_%-]+)/.exec(mail.text ?? "");
    expect(link, mail.text).toBeTruthy();
    const path = link![1];

    await page.goto(path);
    await expect.poll(() => page.locator("#password").isVisible(), { message: "the reset form shows" }).toBe(true);
    // the token leaves the address bar once read
    expect(page.url()).not.toContain("token=");
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator("#password").fill(NEW_PASSWORD);
    await page.getByLabel("New password again").fill("something else entirely");
    await page.getByRole("button", { name: "Save the new password" }).click();
    await expect.poll(() => page.getByLabel("New password again").getAttribute("aria-invalid")).toBe("true");
    const described = await page.getByLabel("New password again").getAttribute("aria-describedby");
    expect(await page.locator(`#${described}`).textContent()).toMatch(/does not match/i);

    await page.getByLabel("New password again").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Save the new password" }).click();
    await expect.poll(() => page.getByTestId("reset-done").textContent()).toContain("Your password was changed");

    // on a phone: nothing wider than the screen
    await page.setViewportSize({ width: 360, height: 780 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshots(page, "reset-password-done");

    const signIn = await fetch(`${run.server.url}/api/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: NEW_PASSWORD }),
    });
    expect(signIn.status).toBe(200);

    // the same link again: one clear error, and a way to ask for a new one
    await page.goto("/sign-in");
    await page.goto(path);
    await page.locator("#password").fill("yet another long passphrase");
    await page.getByLabel("New password again").fill("yet another long passphrase");
    await page.getByRole("button", { name: "Save the new password" }).click();
    await expect.poll(() => page.getByRole("alert").first().textContent()).toContain("no longer valid");
    expect(await page.getByRole("link", { name: "Ask for a new link" }).isVisible()).toBe(true);
    await ctx.close();
  });
});

describe.skipIf(!hasChromium)("the admins' Outbox page without SMTP_URL", () => {
  let api: ClinicApi;
  const run = serverAndBrowser(() => ({ SMTP_URL: "" }));
  beforeAll(async () => {
    api = new ClinicApi(run.server.url);
    await api.setUpAdmin("admin@held.test");
    await api.provider("held@held.test", "Hal Held");
  }, 300_000);

  it("says mail is held and lists it, never its content", async () => {
    const r = await fetch(`${run.server.url}/api/v1/auth/password/forgot`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "held@held.test" }),
    });
    expect(r.status).toBe(202);
    const ctx = await newContext(run.browser, run.server.url);
    await api.signInContext(ctx, "admin@held.test", { recovery_code: api.adminRecoveryCodes[0] });
    const page = await ctx.newPage();
    await page.goto("/admin/outbox");
    await expect.poll(() => page.getByTestId("outbox-held").textContent()).toContain("Mail is not being sent");
    const row = page.getByTestId("outbox-row").first();
    expect(await row.textContent()).toContain("held@held.test");
    expect(await row.textContent()).toContain("Password reset link");
    expect(await row.textContent()).toContain("Held (not sent)");
    expect(await page.content()).not.toContain("token=");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, "admin-outbox-held");
    await ctx.close();
  });
});
