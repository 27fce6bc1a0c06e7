import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ensureBuild, hasChromium, jsonApi, launchBrowser, newContext, screenshots, seriousViolations, setUpAdminWithMfa, signInThroughPage, startServer, type RunningServer } from "./support";

/**
 * Care-team messaging in the chart (issue #7, item 4): the attending and the nurse have the
 * same chart open in two browsers; the nurse's urgent message appears on the attending's
 * page without a reload, highlighted; the dashboard counts unread messages per row; a
 * provider off the care team gets the not-found page; the patient never sees the channel.
 * The clinic is set up through the JSON API (portal.test.ts covers those screens).
 */
const PASSWORD = "sturdy orange kettle lamp";
const ADMIN = { full_name: "Ada Admin", email: "ada.msg@clinic.test" };
const ATTENDING = { full_name: "Dr Grace Hopper", email: "grace.msg@clinic.test", credential: "physician", license_number: "LIC-8101", specialty: "Internal medicine" };
const NURSE = { full_name: "Florence Nightingale", email: "florence.msg@clinic.test", credential: "registered_nurse", license_number: "LIC-8102", specialty: "Nursing" };
const OUTSIDER = { full_name: "Dr Outside Team", email: "outside.msg@clinic.test", credential: "physician", license_number: "LIC-8103", specialty: "Dermatology" };
const PATIENT = { first_name: "Marguerite", last_name: "Okonkwo-Lind", mrn: "MRN-MSG-1", email: "marguerite@patient.test" };
const URGENT = "BP 182/110 after the 14:00 dose, patient dizzy";

describe.skipIf(!hasChromium)("care-team messages on the chart", () => {
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const a11y: Record<string, string[]> = {};
  const tokens: Record<string, string> = {};
  let patientId = "";
  let attending: Page;
  let nurse: Page;

  const api = jsonApi(() => server.url);
  async function signedIn(email: string, landing: string): Promise<Page> {
    const ctx = await newContext(browser, server.url);
    contexts.push(ctx);
    const p = await ctx.newPage();
    await signInThroughPage(p, email, PASSWORD, landing);
    return p;
  }
  async function scan(p: Page, name: string) {
    await p.waitForLoadState("networkidle").catch(() => undefined); // the realtime socket stays open
    a11y[name] = await seriousViolations(p);
    await screenshots(p, name);
  }
  /** Opens the Messages tab and waits until the channel is live (subscribed). */
  async function openMessages(p: Page) {
    await p.getByRole("tab", { name: /^Messages/ }).click();
    const live = p.getByRole("tabpanel", { name: /^Messages/ }).locator('[role="status"][data-status]');
    await expect.poll(() => live.getAttribute("data-status")).toBe("live");
  }
  const panel = (p: Page) => p.getByRole("tabpanel", { name: /^Messages/ });
  const items = (p: Page) => panel(p).getByRole("listitem");

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    browser = await launchBrowser();

    const adminToken = await setUpAdminWithMfa(api, ADMIN, PASSWORD);
    const ids: Record<string, string> = {};
    for (const p of [ATTENDING, NURSE, OUTSIDER]) {
      const s = await api("/api/v1/auth/signup", { body: { ...p, password: PASSWORD, role: "provider" } });
      expect(s.status).toBe(201);
      ids[p.email] = s.body.user.id;
      expect((await api(`/api/v1/admin/providers/${s.body.user.id}/verify`, { body: {}, token: adminToken })).status).toBe(200);
      tokens[p.email] = (await api("/api/v1/auth/token", { body: { email: p.email, password: PASSWORD } })).body.access_token;
    }
    const created = await api("/api/v1/patients", {
      token: tokens[ATTENDING.email],
      body: { first_name: PATIENT.first_name, last_name: PATIENT.last_name, date_of_birth: "1958-03-14", gender: "female", allergies: [], mrn: PATIENT.mrn },
    });
    expect(created.status).toBe(201);
    patientId = created.body.id;
    const team = await api(`/api/v1/patients/${patientId}/care-team`, { body: { provider_id: ids[NURSE.email], role: "nurse" }, token: adminToken });
    expect(team.status).toBe(201);
    // The patient gets a portal account (the channel must stay invisible to them).
    const invite = (await api(`/api/v1/patients/${patientId}/invite`, { body: {}, token: tokens[ATTENDING.email] })).body.invite_code;
    const signup = await api("/api/v1/auth/signup", {
      body: { email: PATIENT.email, password: PASSWORD, full_name: `${PATIENT.first_name} ${PATIENT.last_name}`, role: "patient", invite_code: invite, date_of_birth: "1958-03-14" },
    });
    expect(signup.status).toBe(201);
    // History: 31 messages from the nurse, one more than the first page.
    for (let i = 1; i <= 31; i++) {
      const m = await api(`/api/v1/patients/${patientId}/messages`, { body: { message: `Round ${i}: observations charted` }, token: tokens[NURSE.email] });
      expect(m.status).toBe(201);
    }
  }, 300_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("shows the attending an unread badge on the dashboard row before they read", async () => {
    attending = await signedIn(ATTENDING.email, "/patients");
    const row = attending.getByRole("row").filter({ hasText: PATIENT.mrn });
    await expect.poll(() => row.getByTestId("unread-badge").textContent()).toBe("3131 unread messages");
    expect(await row.getByText("31 unread messages").count()).toBe(1); // the screen-reader text
    await scan(attending, "dashboard-unread");
  });

  it("counts unread in the tab and marks them read only when the tab is opened", async () => {
    await attending.getByRole("link", { name: `${PATIENT.last_name}, ${PATIENT.first_name}` }).click();
    await attending.waitForURL(`**/patients/${patientId}`);
    const tab = attending.getByRole("tab", { name: /^Messages/ });
    await expect.poll(() => tab.textContent()).toBe("Messages3131 unread messages");
    // Rendering the chart did not move the marker: the dashboard (another tab) still counts them.
    const other = await attending.context().newPage();
    await other.goto("/patients");
    await expect.poll(() => other.getByRole("row").filter({ hasText: PATIENT.mrn }).getByTestId("unread-badge").textContent()).toBe("3131 unread messages");
    await other.close();
    // The API's listing keeps its shape (the count is the dashboard's).
    expect((await api("/api/v1/patients?limit=5", { token: tokens[ATTENDING.email] })).body.data[0]).not.toHaveProperty("unread_messages");
    await openMessages(attending);
    await expect.poll(() => tab.textContent()).toBe("Messages");
    // The first page (30) and "Load older" for the rest, oldest first.
    expect(await items(attending).count()).toBe(30);
    expect(await items(attending).first().textContent()).toContain("Round 2:");
    await panel(attending).getByRole("button", { name: "Load older" }).click();
    await expect.poll(() => items(attending).count()).toBe(31);
    expect(await items(attending).first().textContent()).toContain("Round 1:");
    expect(await panel(attending).getByText("Beginning of the conversation").count()).toBe(1);
    expect(await items(attending).first().textContent()).toContain("Nurse"); // the sender's role on the team
  });

  it("delivers the nurse's urgent message to the attending's open chart without a reload", async () => {
    await attending.evaluate(() => ((window as unknown as { marker: string }).marker = "no reload"));
    nurse = await signedIn(NURSE.email, "/patients");
    await nurse.goto(`/patients/${patientId}`);
    await openMessages(nurse);

    const box = panel(nurse).getByLabel("Message", { exact: true });
    // Validation with the server's schema: blank is refused in place, nothing is sent.
    await box.fill("   ");
    await box.press("Enter");
    await expect.poll(() => panel(nurse).getByText("Must not be empty").count()).toBe(1);
    expect(await box.getAttribute("aria-invalid")).toBe("true");

    // Shift+Enter is a new line; Enter sends.
    await box.fill("BP 182/110 after the 14:00 dose,");
    await box.press("Shift+Enter");
    await box.pressSequentially(" patient dizzy");
    expect(await box.inputValue()).toBe("BP 182/110 after the 14:00 dose,\n patient dizzy");
    await box.fill(URGENT);
    await panel(nurse).getByText("Urgent", { exact: true }).click();
    expect(await panel(nurse).getByRole("radio", { name: "Urgent" }).isChecked()).toBe(true);
    await box.press("Enter");
    await expect.poll(() => box.inputValue()).toBe("");
    const mine = items(nurse).filter({ hasText: URGENT });
    await expect.poll(() => mine.textContent()).toMatch(/^Urgent\s*You/);
    await expect.poll(() => mine.getAttribute("data-pending")).toBeNull();

    const arrived = items(attending).filter({ hasText: URGENT });
    await expect.poll(() => arrived.count()).toBe(1);
    expect(await arrived.getAttribute("data-priority")).toBe("urgent");
    // Highlighted by more than colour: the word "Urgent" (with an icon) and the sender.
    expect(await arrived.textContent()).toMatch(new RegExp(`^Urgent${NURSE.full_name}Nurse`));
    // Announced to screen readers.
    await expect.poll(() => panel(attending).locator('[aria-live="polite"][aria-atomic="true"]').textContent()).toBe(
      `New urgent message from ${NURSE.full_name}: ${URGENT}`,
    );
    expect(await attending.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("no reload");
    // The attending was reading older history (after "Load older"): the thread does not jump,
    // a button says something new arrived below and brings it into view.
    const inView = () =>
      arrived.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const box = el.closest('[role="region"]')!.getBoundingClientRect();
        return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
      });
    expect(await inView()).toBe(false);
    await panel(attending).getByRole("button", { name: "1 new message" }).click();
    await expect.poll(inView).toBe(true);
    expect(await panel(attending).getByRole("button", { name: "1 new message" }).count()).toBe(0);
    await scan(attending, "chart-messages");
  });

  it("lets the attending answer; the nurse sees it live and the dashboard stays clear", async () => {
    const box = panel(attending).getByLabel("Message", { exact: true });
    await box.fill("Hold the next dose, I am on my way");
    await panel(attending).getByRole("button", { name: "Send" }).click();
    await expect.poll(() => items(nurse).filter({ hasText: "Hold the next dose" }).count()).toBe(1);
    expect(await items(nurse).filter({ hasText: "Hold the next dose" }).textContent()).toMatch(new RegExp(`^${ATTENDING.full_name}Attending`));
    await scan(nurse, "chart-messages-nurse");
    // The attending read everything with the tab open: no badge on the dashboard.
    await attending.goto("/patients");
    const row = attending.getByRole("row").filter({ hasText: PATIENT.mrn });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getByTestId("unread-badge").count()).toBe(0);
    // The nurse has not reloaded since the answer, and her own messages never count.
    await nurse.goto("/patients");
    await expect.poll(() => nurse.getByRole("row").filter({ hasText: PATIENT.mrn }).getByTestId("unread-badge").count()).toBe(0);
  });

  it("gives a provider off the care team the not-found page", async () => {
    const outsider = await signedIn(OUTSIDER.email, "/patients");
    await outsider.goto(`/patients/${patientId}`);
    await expect.poll(() => outsider.getByTestId("not-found").count()).toBe(1);
    const html = await outsider.content();
    for (const s of [PATIENT.last_name, PATIENT.mrn, URGENT, "Round 1"]) expect(html).not.toContain(s);
    expect((await api(`/api/v1/patients/${patientId}/messages`, { token: tokens[OUTSIDER.email] })).status).toBe(404);
  });

  it("never shows the channel to the patient", async () => {
    const p = await signedIn(PATIENT.email, "/my-records");
    await expect.poll(() => p.getByRole("tablist").count()).toBeGreaterThan(0);
    expect(await p.getByRole("tab", { name: /Messages/ }).count()).toBe(0);
    expect(await p.content()).not.toContain(URGENT);
  });

  it("finds no serious or critical accessibility violations", () => {
    const failures = Object.entries(a11y).filter(([, v]) => v.length > 0);
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    expect(Object.keys(a11y).length).toBe(3);
  });
});
