import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { ensureBuild, hasChromium, launchBrowser, newContext, startServer, type RunningServer } from "./support";

/**
 * Staff inactivity: a warning dialog before the limit, then sign-out. STAFF_IDLE_MINUTES is
 * whole minutes (the server enforces it too), so this runs with 1 minute: the warning shows
 * at half the limit when the limit is under two minutes.
 */
describe.skipIf(!hasChromium)("staff inactivity sign-out", () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    ensureBuild();
    server = await startServer({ STAFF_IDLE_MINUTES: "1" });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("warns, then signs an idle admin out", { timeout: 200_000 }, async () => {
    const ctx = await newContext(browser, server.url);
    const p = await ctx.newPage();
    await p.goto("/setup");
    await p.getByLabel("Your full name").fill("Idle Admin");
    await p.getByLabel("Email").fill("idle@clinic.test");
    await p.getByLabel("Password").fill("sturdy orange kettle lamp");
    await p.getByRole("button", { name: "Create the administrator" }).click();
    await p.waitForURL("**/account?setup=1");
    const dialog = p.getByRole("dialog", { name: "Are you still there?" });
    await dialog.waitFor({ timeout: 45_000 }).catch(async (e) => {
      await p.screenshot({ path: "test-results/idle-failure.png" });
      console.warn(server.output().slice(-4000));
      throw e;
    });
    // "Stay signed in" keeps the session and closes the warning.
    await dialog.getByRole("button", { name: "Stay signed in" }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    // Left alone, the dialog returns and the session ends.
    await p.waitForURL("**/sign-in?reason=idle", { timeout: 90_000 });
    await expect.poll(() => p.getByText("You were signed out after a period of inactivity.").count()).toBe(1);
    await p.goto("/account");
    await p.waitForURL("**/sign-in");
    await ctx.close();
  });
});
