import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ensureBuild, hasChromium, inviteCodeFor, jsonApi, launchBrowser, setUpClinic, signInThroughPage, startServer, TestPages, type RunningServer } from "./support";

/**
 * Scheduling and the chart overview (issue #15, items 4 and 5), in Chromium: the chart opens
 * on its Overview tab; a provider books from the chart (a clashing booking is refused with
 * the database's 409), finds it on the dashboard card and the Today page (clinic zone
 * America/New_York) and cancels it there with a reason; a visit gets a type; the patient's
 * portal shows a request's confirmation live. axe on every page, 1280 and 360 px shots.
 * The clinic (admin with MFA, provider, patient with portal account) is set up via the API.
 */
const PASSWORD = "sturdy orange kettle lamp";
const ZONE = "America/New_York";
const ADMIN = { full_name: "Ada Admin", email: "ada.sched@clinic.test" };
const DOC = { full_name: "Dr Grace Hopper", email: "grace.sched@clinic.test", credential: "physician", license_number: "LIC-7711", specialty: "Family medicine" };
const PATIENT = { first_name: "Imogen", last_name: "Achterberg", mrn: "MRN-SCHED-1", email: "imogen@patient.test", dob: "1981-06-02" };

/** "YYYY-MM-DDTHH:mm" of an instant on the clinic's wall clock (what the datetime-local field takes). */
function wallClock(at: Date): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

describe.skipIf(!hasChromium)("scheduling and the chart overview in Chromium", () => {
  let server: RunningServer;
  let browser: Browser;
  const pages = new TestPages(() => browser, () => server.url);
  const a11y = pages.a11y;
  let docToken = "";
  let patientToken = "";
  let patientId = "";
  let doc: Page;
  const api = jsonApi(() => server.url);

  const page = (): Promise<Page> => pages.open();
  const scan = (p: Page, name: string) => pages.scan(p, name, { idle: "best-effort" });

  // A slot later today on the clinic's clock (short, so it stays today except in the day's last minutes).
  const soon = new Date(Math.ceil((Date.now() + 10 * 60_000) / 60_000) * 60_000);

  beforeAll(async () => {
    ensureBuild();
    server = await startServer({ CLINIC_TIME_ZONE: ZONE });
    browser = await launchBrowser();
    ({ docToken, patientId } = await setUpClinic(api, {
      password: PASSWORD,
      admin: ADMIN,
      providers: [DOC],
      patient: { first_name: PATIENT.first_name, last_name: PATIENT.last_name, date_of_birth: PATIENT.dob, gender: "female", allergies: ["penicillin"], mrn: PATIENT.mrn },
    }));
    const code = await inviteCodeFor(api, patientId, docToken);
    const signup = await api("/api/v1/auth/signup", {
      body: { role: "patient", invite_code: code, date_of_birth: PATIENT.dob, full_name: `${PATIENT.first_name} ${PATIENT.last_name}`, email: PATIENT.email, password: PASSWORD },
    });
    expect(signup.status).toBe(201);
    patientToken = (await api("/api/v1/auth/token", { body: { email: PATIENT.email, password: PASSWORD } })).body.access_token;
    // something for the overview to show
    expect((await api(`/api/v1/patients/${patientId}/prescriptions`, { token: docToken, body: { medication: "Metformin", dosage: "500 mg", frequency: "twice daily", start_date: new Date().toISOString().slice(0, 10) } })).status).toBe(201);
  });

  afterAll(async () => {
    await pages.close();
    await browser?.close();
    await server?.stop();
  });

  it("opens the chart on its overview, and records a visit with a type", async () => {
    doc = await page();
    await signInThroughPage(doc, DOC.email, PASSWORD, "/patients");
    await doc.goto(`/patients/${patientId}`);
    const overview = doc.getByTestId("chart-overview");
    await expect.poll(() => overview.count()).toBe(1);
    expect(await doc.getByRole("tab", { name: "Overview" }).getAttribute("aria-selected")).toBe("true");
    expect(await overview.getByRole("region", { name: "Allergies" }).textContent()).toContain("penicillin");
    expect(await overview.getByRole("region", { name: /Active medications/ }).textContent()).toContain("Metformin");
    await scan(doc, "chart-overview");

    await doc.getByRole("tab", { name: /Visits/ }).click();
    await doc.getByRole("button", { name: "New visit" }).click();
    await doc.getByLabel("Chief complaint").fill("Video follow-up of blood sugar");
    await doc.getByLabel("Visit type").selectOption("telehealth");
    await doc.getByLabel("Heart rate (bpm)").fill("68");
    await doc.getByRole("button", { name: "Save visit" }).click();
    await expect.poll(() => doc.getByRole("cell", { name: "Telehealth" }).count()).toBe(1);
    await doc.getByRole("tab", { name: "Overview" }).click();
    await expect.poll(async () => (await overview.getByRole("region", { name: "Recent visits" }).textContent()) ?? "").toContain("Telehealth");
    await expect.poll(async () => (await overview.getByRole("region", { name: "Last vitals" }).textContent()) ?? "").toContain("68 bpm");
  });

  it("books from the chart, refuses a double booking, and shows it on the dashboard card and Today", async () => {
    await doc.getByRole("tab", { name: /Appointments/ }).click();
    const book = async (reason: string) => {
      await doc.getByRole("button", { name: "Book appointment" }).click();
      const dialog = doc.getByRole("dialog", { name: "Book an appointment" });
      await dialog.getByLabel("Date and time").fill(wallClock(soon));
      await dialog.getByLabel("Length").selectOption("15");
      // a video visit is booked the same way (the type decides who sees "Start/Join video visit")
      expect(await dialog.getByLabel("Visit type").locator("option", { hasText: "Video visit (telehealth)" }).count()).toBe(1);
      await dialog.getByLabel("Visit type").selectOption("office");
      await dialog.getByLabel("Reason").fill(reason);
      await dialog.getByRole("button", { name: "Book", exact: true }).click();
      return dialog;
    };
    let dialog = await book("Blood sugar review");
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(() => doc.getByRole("cell", { name: "Blood sugar review", exact: true }).count()).toBe(1);
    expect(await doc.getByRole("row").filter({ hasText: "Blood sugar review" }).textContent()).toContain("confirmed");
    await scan(doc, "chart-appointments");

    // the same slot again: the database refuses it, the dialog says why and keeps the fields
    dialog = await book("Second booking at the same time");
    await expect.poll(() => dialog.getByText(/Overlaps another confirmed appointment/).count()).toBeGreaterThan(0);
    expect(await dialog.getByLabel("Reason").inputValue()).toBe("Second booking at the same time");
    await dialog.getByRole("button", { name: "Cancel" }).click();

    await doc.goto("/patients");
    const card = doc.getByRole("region", { name: "Today's appointments" });
    await expect.poll(async () => (await card.textContent()) ?? "").toContain(`${PATIENT.first_name} ${PATIENT.last_name}`);
    await scan(doc, "dashboard-today");

    await doc.getByRole("link", { name: "Open Today" }).click();
    await doc.waitForURL("**/today");
    await expect.poll(() => doc.getByRole("heading", { name: "Today", level: 1 }).count()).toBe(1);
    const entry = doc.getByRole("list", { name: "Today's appointments" }).getByRole("listitem").filter({ hasText: "Blood sugar review" });
    await expect.poll(() => entry.count()).toBe(1);
    expect(await entry.textContent()).toContain("confirmed");
    expect(await doc.getByText(`times in ${ZONE}`).count()).toBe(1);
    await scan(doc, "today");
  });

  it("cancels on the Today page with a reason", async () => {
    await doc.getByRole("button", { name: `Cancel ${PATIENT.first_name} ${PATIENT.last_name}'s appointment` }).click();
    const dialog = doc.getByRole("dialog", { name: "Cancel this appointment?" });
    await dialog.getByRole("button", { name: "Cancel appointment" }).click();
    await expect.poll(() => dialog.getByText(/required/i).count()).toBeGreaterThan(0);
    await scan(doc, "today-cancel-dialog");
    await dialog.getByRole("textbox").fill("Provider called away to the hospital");
    await dialog.getByRole("button", { name: "Cancel appointment" }).click();
    await expect.poll(() => doc.getByTestId("today-appointment").filter({ hasText: "Blood sugar review" }).count()).toBe(0);
    await expect.poll(() => doc.getByText("Nothing booked for today").count()).toBe(1);
    const list = await api(`/api/v1/patients/${patientId}/appointments`, { token: docToken });
    expect(list.body.data[0]).toMatchObject({ status: "cancelled", cancel_reason: "Provider called away to the hospital" });
  });

  it("updates the patient's portal live when their request is confirmed", async () => {
    const patient = await page();
    await signInThroughPage(patient, PATIENT.email, PASSWORD, "/my-records");
    const start = new Date(Date.now() + 3 * 86400_000);
    const req = await api(`/api/v1/patients/${patientId}/appointments`, {
      token: patientToken,
      body: { starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 30 * 60_000).toISOString(), reason: "Repeat prescription" },
    });
    expect(req.status).toBe(201);
    await patient.reload();
    await patient.getByRole("tab", { name: /Appointments/ }).click();
    const row = patient.getByRole("row").filter({ hasText: "Repeat prescription" });
    await expect.poll(async () => (await row.textContent()) ?? "").toContain("requested");
    await patient.waitForLoadState("networkidle", { timeout: 15_000 }).catch(() => undefined);
    // the provider confirms elsewhere; the open page follows without a reload
    expect((await api(`/api/v1/appointments/${req.body.id}`, { method: "PATCH", token: docToken, body: { status: "confirmed" } })).status).toBe(200);
    await expect.poll(() => patient.getByText("Your appointment was confirmed.").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await row.textContent()) ?? "", { timeout: 15_000 }).toContain("confirmed");
    await scan(patient, "my-records-confirmed");
  });

  it("has no serious accessibility violations on any page scanned", () => {
    expect(Object.keys(a11y)).toEqual(["chart-overview", "chart-appointments", "dashboard-today", "today", "today-cancel-dialog", "my-records-confirmed"]);
    for (const [name, v] of Object.entries(a11y)) expect(v, name).toEqual([]);
  });
});
