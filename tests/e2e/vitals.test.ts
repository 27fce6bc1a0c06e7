import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ensureBuild, hasChromium, inviteCodeFor, jsonApi, launchBrowser, screenshots, setUpClinic, signInThroughPage, startServer, TestPages, type RunningServer } from "./support";

/**
 * Wearables through the UI (issue #7, items 5 and 6): a patient registers a watch and sees
 * its token once; samples posted with that token draw themselves, without a reload, on the
 * patient's Vitals tab and on the attending's chart; revoking the device makes the token
 * useless. The clinic (admin with MFA, the attending, the patient record and its invite)
 * is set up through the JSON API; portal.test.ts covers those screens.
 */
const PASSWORD = "sturdy orange kettle lamp";
const ADMIN = { full_name: "Ada Admin", email: "ada.vitals@clinic.test" };
const DOC = { full_name: "Dr Grace Hopper", email: "grace.vitals@clinic.test", credential: "physician", license_number: "LIC-7101", specialty: "Cardiology" };
const PATIENT = { first_name: "Oskar", last_name: "Lindqvist-Arana", mrn: "MRN-VITALS-1", email: "oskar@patient.test" };
const DEVICE = "Pixel Watch";

describe.skipIf(!hasChromium)("wearable devices and live vitals charts", () => {
  let server: RunningServer;
  let browser: Browser;
  const pages = new TestPages(() => browser, () => server.url);
  const a11y = pages.a11y;
  let docToken = "";
  let patientId = "";
  let inviteCode = "";
  let deviceToken = "";
  let patient: Page;
  let doc: Page;

  const api = jsonApi(() => server.url);
  const page = (): Promise<Page> => pages.open();
  const scan = (p: Page, name: string) => pages.scan(p, name, { idle: "best-effort" });
  /** What a watch sends: heart rate once a minute and the steps of each minute, ending now. */
  function batch(minutes: number, hr: (i: number) => number, steps: number, end = Date.now()) {
    const samples = [];
    for (let i = 0; i < minutes; i++) {
      const t = new Date(end - (minutes - 1 - i) * 60_000).toISOString();
      samples.push({ metric: "heart_rate", value: hr(i), unit: "bpm", recorded_at: t });
      samples.push({ metric: "steps", value: steps, unit: "count", recorded_at: t });
    }
    return { samples };
  }
  async function openVitals(p: Page) {
    await p.getByRole("tab", { name: "Vitals" }).click();
    const live = p.getByTestId("vitals").locator('[role="status"][data-status]');
    // Subscribed before anything is sent, so what follows can only arrive live.
    await expect.poll(() => live.getAttribute("data-status")).toBe("live");
  }

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    browser = await launchBrowser();

    ({ docToken, patientId } = await setUpClinic(api, {
      password: PASSWORD,
      admin: ADMIN,
      providers: [DOC],
      patient: { first_name: PATIENT.first_name, last_name: PATIENT.last_name, date_of_birth: "1961-11-02", gender: "male", allergies: [], mrn: PATIENT.mrn },
    }));
    inviteCode = await inviteCodeFor(api, patientId, docToken);
  });

  afterAll(async () => {
    await pages.close();
    await browser?.close();
    await server?.stop();
  });

  it("lets the patient register a device and shows its token once", async () => {
    patient = await page();
    await patient.goto(`/sign-up#invite_code=${inviteCode}`);
    await expect.poll(() => patient.getByLabel("Invite code").inputValue()).not.toBe("");
    await patient.getByLabel("Date of birth").fill("1961-11-02");
    await patient.getByLabel("Full name").fill(`${PATIENT.first_name} ${PATIENT.last_name}`);
    await patient.getByLabel("Email").fill(PATIENT.email);
    await patient.getByLabel("Password").fill(PASSWORD);
    await patient.getByRole("button", { name: "Create account" }).click();
    await patient.waitForURL("**/my-records");

    await patient.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Devices" }).click();
    await patient.waitForURL("**/my-records/devices");
    await expect.poll(() => patient.getByText("No devices yet").count()).toBe(1);
    await scan(patient, "devices-empty");

    await patient.getByRole("button", { name: "Register a device" }).click();
    const d = patient.getByRole("dialog");
    await d.getByRole("button", { name: "Register" }).click();
    await expect.poll(() => d.locator("#rd-name-error").textContent()).toMatch(/must not be empty/i);
    await d.getByLabel("Device name").fill(DEVICE);
    await d.getByRole("button", { name: "Register" }).click();
    const tokenBox = d.getByTestId("device-token");
    await tokenBox.waitFor();
    deviceToken = (await tokenBox.textContent())!.trim();
    expect(deviceToken).toMatch(/^cbd_\S{20,}$/);
    expect(await d.getByText("you won’t see this token again").count()).toBe(1);
    await d.getByText("How to use it").click();
    expect(await d.getByText(`npm run simulate:wearable -- --token ${deviceToken}`).count()).toBe(1);
    await scan(patient, "device-token");
    await d.getByRole("button", { name: "I have saved it" }).click();
    await expect.poll(() => patient.getByRole("dialog").count()).toBe(0);

    const row = patient.getByTestId("device-row").filter({ hasText: DEVICE });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getByText("Waiting for first reading").count()).toBe(1);

    // Shown once: not on the page any more, not after a reload, not in the HTML.
    expect(await patient.content()).not.toContain(deviceToken);
    const res = await patient.reload();
    expect(await res!.text()).not.toContain(deviceToken);
    await expect.poll(() => patient.getByTestId("device-row").count()).toBe(1);
    expect(await patient.content()).not.toContain(deviceToken);
    await scan(patient, "devices");
  });

  it("draws samples posted with the token on the patient's Vitals tab, live", async () => {
    await patient.goto("/my-records");
    await openVitals(patient);
    await expect.poll(() => patient.getByText("No readings yet").count()).toBe(1);
    await patient.evaluate(() => ((window as unknown as { marker: string }).marker = "no reload"));

    // The last ten minutes, heart rate 70..79 and 100 steps a minute.
    const first = batch(10, (i) => 70 + i, 100);
    const sent = await api("/api/v1/vitals", { token: deviceToken, body: first });
    expect(sent).toEqual({ status: 202, body: { accepted: 20, duplicates: 0 } });

    const hr = patient.getByTestId("hr-summary");
    const steps = patient.getByTestId("steps-summary");
    await expect.poll(() => hr.textContent()).toMatch(/70–79 bpm/);
    expect(await steps.textContent()).toMatch(/^1,000 steps in the last 24 hours/);
    expect(await patient.getByTestId("vitals").locator(".recharts-line-curve").count()).toBe(1);
    expect(await patient.getByTestId("vitals").locator(".recharts-bar-rectangle").count()).toBeGreaterThan(0);
    expect(await patient.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("no reload");

    // The range control is a radio group: the keyboard moves from Day to Hour (1-minute buckets).
    await patient.getByRole("radio", { name: "Day" }).focus();
    await patient.keyboard.press("ArrowLeft");
    expect(await patient.getByRole("radio", { name: "Hour" }).isChecked()).toBe(true);
    await expect.poll(() => steps.textContent()).toMatch(/^1,000 steps in the last hour/);
    expect(await hr.textContent()).toMatch(/^Latest 79 bpm/);

    // A re-sent batch stores nothing twice; a new sample arrives live again.
    expect(await api("/api/v1/vitals", { token: deviceToken, body: first })).toEqual({ status: 202, body: { accepted: 0, duplicates: 20 } });
    const next = await api("/api/v1/vitals", { token: deviceToken, body: { samples: [{ metric: "heart_rate", value: 131, unit: "bpm", recorded_at: new Date().toISOString() }] } });
    expect(next).toEqual({ status: 202, body: { accepted: 1, duplicates: 0 } });
    await expect.poll(() => hr.textContent()).toMatch(/70–131 bpm/);
    expect(await patient.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("no reload");
    await scan(patient, "my-records-vitals");
  });

  it("shows the same readings on the attending's chart, and new ones live", async () => {
    doc = await page();
    await signInThroughPage(doc, DOC.email, PASSWORD, "/patients");
    await doc.goto(`/patients/${patientId}`);
    await openVitals(doc);
    const hr = doc.getByTestId("hr-summary");
    await expect.poll(() => hr.textContent()).toMatch(/70–131 bpm/);
    expect(await doc.getByRole("link", { name: "Register a device" }).count()).toBe(0); // the patient's page, not the chart's

    const sent = await api("/api/v1/vitals", { token: deviceToken, body: { samples: [{ metric: "heart_rate", value: 142, unit: "bpm", recorded_at: new Date().toISOString() }] } });
    expect(sent.status).toBe(202);
    await expect.poll(() => hr.textContent()).toMatch(/70–142 bpm/);
    await scan(doc, "chart-vitals");

    // Longer ranges come in hourly and 6-hour buckets: the same readings, the same figures.
    const steps = doc.getByTestId("steps-summary");
    for (const [range, phrase] of [["Week", "the last 7 days"], ["Month", "the last 30 days"]]) {
      await doc.getByTestId("vitals").locator("label", { hasText: range }).click(); // what a pointer user clicks
      expect(await doc.getByRole("radio", { name: range }).isChecked()).toBe(true);
      await expect.poll(() => steps.textContent()).toContain(`1,000 steps in ${phrase}`);
      expect(await hr.textContent()).toMatch(/70–142 bpm/);
      expect(await doc.getByTestId("vitals").locator(".recharts-bar-rectangle").count()).toBeGreaterThan(0);
    }
    await screenshots(doc, "chart-vitals-month");
  });

  it("revokes the device after a confirmation; its token then gets 401", async () => {
    await patient.goto("/my-records/devices");
    const row = patient.getByTestId("device-row").filter({ hasText: DEVICE });
    await expect.poll(() => row.getByText("Active").count()).toBe(1);
    await row.getByRole("button", { name: `Revoke ${DEVICE}` }).click();
    const d = patient.getByRole("dialog");
    await d.getByRole("button", { name: "Keep it" }).click();
    await expect.poll(() => patient.getByRole("dialog").count()).toBe(0);
    expect((await api("/api/v1/vitals", { token: deviceToken, body: batch(1, () => 80, 5) })).status).toBe(202); // still live

    await row.getByRole("button", { name: `Revoke ${DEVICE}` }).click();
    await d.getByRole("button", { name: "Revoke device" }).click();
    await expect.poll(() => patient.getByText(`“${DEVICE}” is revoked`).count()).toBeGreaterThan(0);
    await expect.poll(() => row.getByText("Revoked").count()).toBe(1);
    expect(await row.getByRole("button", { name: /Revoke/ }).count()).toBe(0);

    const refused = await api("/api/v1/vitals", { token: deviceToken, body: batch(1, () => 80, 5) });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("invalid_device_token");
    await scan(patient, "devices-revoked");
  });

  it("finds no serious or critical accessibility violations", () => {
    const failures = Object.entries(a11y).filter(([, v]) => v.length > 0);
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    expect(Object.keys(a11y).length).toBe(6);
  });
});
