import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as OTPAuth from "otpauth";
import type { Browser, Page } from "playwright-core";
import { ensureBuild, hasChromium, launchBrowser, startServer, TestPages, type RunningServer } from "./support";

/**
 * A clinic's first day, through the UI only: first admin (with MFA), providers sign up and
 * are verified, a patient is registered, charted, prescribed for and invited; the patient
 * reads their records and requests an appointment the provider confirms; a provider off
 * the care team gets the not-found page. Each main page is scanned by axe and captured
 * at 1280 and 360 px.
 */
const PASSWORD = "sturdy orange kettle lamp";
const ADMIN = { name: "Ada Admin", email: "ada.admin@clinic.test" };
const DOC1 = { name: "Dr Grace Hopper", email: "grace@clinic.test", license: "LIC-4471", specialty: "Family medicine" };
const DOC2 = { name: "Dr Alan Turing", email: "alan@clinic.test", license: "LIC-9902", specialty: "Cardiology" };
const PATIENT = { first: "Marisol", last: "Quintanilla", mrn: "MRN-E2E-7731", email: "marisol@patient.test" };

describe.skipIf(!hasChromium)("the portal in Chromium", () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: Page;
  let doc1: Page;
  let doc2: Page;
  let patient: Page;
  let patientUrl = "";
  let recoveryCodes: string[] = [];
  const pages = new TestPages(() => browser, () => server.url);
  const a11y = pages.a11y;

  const page = (): Promise<Page> => pages.open();
  const scan = (p: Page, name: string) => pages.scan(p, name);
  async function signUpProvider(p: Page, who: typeof DOC1) {
    await p.goto("/sign-up");
    await p.getByLabel("Full name").fill(who.name);
    await p.getByLabel("Email").fill(who.email);
    await p.getByLabel("Password").fill(PASSWORD);
    await p.getByLabel("Professional credential").selectOption("physician");
    await p.getByLabel("License number").fill(who.license);
    await p.getByLabel("Specialty").fill(who.specialty);
    await p.getByRole("button", { name: "Create account" }).click();
    await p.waitForURL("**/waiting");
  }

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await pages.close();
    await browser?.close();
    await server?.stop();
  });

  it("creates the first admin and turns on MFA", async () => {
    admin = await page();
    await admin.goto("/");
    await admin.waitForURL("**/setup");
    await scan(admin, "setup");
    await admin.getByLabel("Your full name").fill(ADMIN.name);
    await admin.getByLabel("Email").fill(ADMIN.email);
    await admin.getByLabel("Password").fill("short");
    await admin.getByRole("button", { name: "Create the administrator" }).click();
    await expect.poll(() => admin.locator("#password-error").textContent()).toMatch(/at least 12 characters/i);
    await admin.getByLabel("Password").fill(PASSWORD);
    await admin.getByRole("button", { name: "Create the administrator" }).click();
    await admin.waitForURL("**/account?setup=1");
    await admin.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    const secret = (await admin.getByTestId("mfa-secret").textContent())!.trim();
    recoveryCodes = (await admin.getByTestId("recovery-codes").locator("li").allTextContents()).map((s) => s.trim());
    expect(recoveryCodes.length).toBeGreaterThan(3);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
    await admin.getByLabel("6-digit code").fill(totp.generate());
    await admin.getByRole("button", { name: "Verify and turn on" }).click();
    await expect.poll(() => admin.getByRole("status").filter({ hasText: "Two-factor authentication is on" }).count()).toBe(1);
    await admin.reload();
    await expect.poll(() => admin.getByText("Two-factor authentication is on for this account.").count()).toBe(1);
    await scan(admin, "account");
    // The setup page is gone once an admin exists.
    await admin.goto("/setup");
    await admin.waitForURL("**/sign-in");
  });

  it("signs in with the MFA step (recovery code)", async () => {
    const p = await page();
    await p.goto("/sign-in");
    await scan(p, "sign-in");
    await p.getByLabel("Email").fill(ADMIN.email);
    await p.getByLabel("Password").fill(PASSWORD);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("button", { name: "Use a recovery code instead" }).click();
    await p.getByLabel("Recovery code").fill(recoveryCodes[0]);
    await p.getByRole("button", { name: "Verify and sign in" }).click();
    await p.waitForURL("**/patients");
    admin = p; // continue as this aal2 session
  });

  it("lets providers sign up and an admin verify them", async () => {
    doc1 = await page();
    await doc1.goto("/sign-up");
    await scan(doc1, "sign-up");
    await signUpProvider(doc1, DOC1);
    await scan(doc1, "waiting");
    doc2 = await page();
    await signUpProvider(doc2, DOC2);

    await admin.goto("/admin/users");
    await scan(admin, "admin-users");
    for (const who of [DOC1, DOC2]) {
      await admin.getByTestId(`user-${who.email}`).first().getByRole("button", { name: "Verify" }).click();
      await expect.poll(() => admin.getByText(`${who.name} is verified.`).count()).toBeGreaterThan(0);
      // the credential they signed up with, which the admin can change
      expect(await admin.getByLabel(`Credential of ${who.name}`).first().inputValue()).toBe("physician");
    }
    await doc1.goto("/");
    await doc1.waitForURL("**/patients");
  });

  it("registers a patient from the dashboard (MRN conflicts shown inline)", async () => {
    await doc1.getByRole("heading", { name: "Patients" }).waitFor();
    await scan(doc1, "dashboard-empty");
    const register = async (mrn: string) => {
      await doc1.getByRole("button", { name: "New patient" }).click();
      const d = doc1.getByRole("dialog");
      await d.getByLabel("First name").fill(PATIENT.first);
      await d.getByLabel("Last name").fill(PATIENT.last);
      await d.getByLabel("Date of birth").fill("1984-07-19");
      await d.getByLabel("Gender").selectOption("female");
      await d.getByLabel("Medical record number (MRN)").fill(mrn);
      await d.getByLabel("Blood type").selectOption("A+");
      await d.getByLabel("Allergies").fill("Penicillin");
      await d.getByLabel("Allergies").press("Enter");
      await d.getByLabel("Allergies").fill("Latex");
      await d.getByLabel("Allergies").press("Enter");
      await d.getByRole("group", { name: "Emergency contact" }).getByLabel("Name").fill("Rafael Quintanilla");
      await d.getByLabel("Phone").fill("+1 555 0100");
      await d.getByRole("button", { name: "Register patient" }).click();
      return d;
    };
    await register(PATIENT.mrn);
    await doc1.waitForURL(/\/patients\/[0-9a-f-]{36}$/);
    patientUrl = new URL(doc1.url()).pathname;
    await expect.poll(() => doc1.getByTestId("patient-name").textContent()).toBe(`${PATIENT.first} ${PATIENT.last}`);

    await doc1.goto("/patients");
    const d = await register(PATIENT.mrn);
    await expect.poll(() => d.locator("#np-mrn-error").textContent()).toMatch(/cannot be used\. Leave it empty/i);
    expect(await d.getByLabel("First name").inputValue()).toBe(PATIENT.first); // nothing typed is lost
    await d.getByRole("button", { name: "Cancel" }).click();

    // search goes in a POST body; the URL never carries it
    await doc1.getByLabel("Search by name or MRN").fill(PATIENT.last.slice(0, 5));
    await doc1.getByRole("button", { name: "Search", exact: true }).click();
    await expect.poll(() => doc1.getByRole("link", { name: `${PATIENT.last}, ${PATIENT.first}` }).count()).toBe(1);
    expect(doc1.url()).not.toContain(PATIENT.last.slice(0, 5));
    await scan(doc1, "dashboard");
  });

  it("records a visit, prescribes and prints the prescription", async () => {
    await doc1.goto(patientUrl);
    // the chart opens on Overview (issue #15): visits have their own tab
    await doc1.getByRole("tab", { name: /Visits/ }).click();
    await doc1.getByRole("button", { name: "New visit" }).click();
    let d = doc1.getByRole("dialog");
    await d.getByLabel("Chief complaint").fill("Persistent cough");
    await d.getByLabel("Diagnosis").fill("Acute bronchitis");
    await d.getByLabel("Notes").fill("Rest and fluids.");
    await d.getByLabel("Heart rate (bpm)").fill("400");
    await d.getByRole("button", { name: "Save visit" }).click();
    await expect.poll(() => d.locator("#nv-heart_rate-error").textContent()).toMatch(/at most 250/);
    await d.getByLabel("Heart rate (bpm)").fill("82");
    await d.getByRole("button", { name: "Save visit" }).click();
    await expect.poll(() => doc1.getByRole("cell", { name: "Acute bronchitis" }).count()).toBe(1);
    await doc1.getByRole("button", { name: "Show notes and vitals" }).first().click();
    await expect.poll(() => doc1.getByText("Rest and fluids.").count()).toBe(1);

    await doc1.getByRole("tab", { name: /Prescriptions/ }).click();
    await doc1.getByRole("button", { name: "New prescription" }).click();
    d = doc1.getByRole("dialog");
    await d.getByLabel("Medication").fill("Amoxicillin");
    await d.getByLabel("Dosage").fill("500 mg");
    await d.getByLabel("Frequency").fill("three times daily");
    await d.getByRole("button", { name: "Prescribe" }).click();
    // the patient is allergic to penicillin: the dialog shows the conflict and asks why
    await expect.poll(() => d.getByRole("alert").filter({ hasText: "Allergy conflict" }).count()).toBe(1);
    await expect.poll(() => d.getByText(/Penicillin \(penicillins\)/).count()).toBe(1);
    await scan(doc1, "prescription-allergy-conflict");
    await d.getByLabel("Reason for overriding the allergy").fill("Tolerated amoxicillin in 2024 under observation.");
    await d.getByRole("button", { name: "Prescribe despite the allergy" }).click();
    await expect.poll(() => doc1.getByText("Amoxicillin", { exact: true }).count()).toBe(1);
    await expect.poll(() => doc1.getByText(/Allergy override: Tolerated amoxicillin/).count()).toBe(1);
    await scan(doc1, "chart");

    const href = await doc1.getByRole("link", { name: /Print Amoxicillin prescription/ }).getAttribute("href");
    expect(href).toMatch(/^\/api\/v1\/prescriptions\/[0-9a-f-]{36}\/pdf$/);
    const pdf = await doc1.request.get(href!);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()["content-type"]).toContain("application/pdf");
    expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");

    // a second prescription, discontinued: the dialog asks for the reason (the confirmation)
    await doc1.getByRole("button", { name: "New prescription" }).click();
    d = doc1.getByRole("dialog");
    await d.getByLabel("Medication").fill("Metformin");
    await d.getByLabel("Dosage").fill("500 mg");
    await d.getByLabel("Frequency").fill("twice daily");
    await d.getByRole("button", { name: "Prescribe" }).click();
    await expect.poll(() => doc1.getByText("Metformin", { exact: true }).count()).toBe(1);
    await expect.poll(() => doc1.getByRole("tab", { name: "Prescriptions (2)" }).count()).toBe(1);
    await doc1.getByRole("button", { name: "Discontinue Metformin" }).click();
    d = doc1.getByRole("dialog");
    await d.getByRole("button", { name: "Discontinue" }).click();
    await expect.poll(() => d.getByText(/say why the prescription is discontinued/).count()).toBeGreaterThan(0);
    await scan(doc1, "discontinue-dialog");
    await d.getByLabel("Reason").fill("Gastrointestinal side effects");
    await d.getByRole("button", { name: "Discontinue" }).click();
    await expect.poll(() => doc1.getByText("Discontinued: Gastrointestinal side effects").count()).toBe(1);
    await expect.poll(() => doc1.getByRole("button", { name: "Discontinue Metformin" }).count()).toBe(0);
    await expect.poll(() => doc1.getByRole("tab", { name: "Prescriptions (2)" }).count()).toBe(1);
  });

  it("invites the patient, who signs up and sees their own records without edit controls", async () => {
    await doc1.getByRole("button", { name: "Invite to portal" }).click();
    const link = (await doc1.getByTestId("invite-url").textContent())!.trim();
    expect(link).toContain("#invite_code=");
    await doc1.keyboard.press("Escape");

    patient = await page();
    await patient.goto(new URL(link).pathname + new URL(link).hash);
    await expect.poll(() => patient.getByLabel("Invite code").inputValue()).not.toBe("");
    await patient.getByLabel("Date of birth").fill("1984-07-19");
    await patient.getByLabel("Full name").fill(`${PATIENT.first} ${PATIENT.last}`);
    await patient.getByLabel("Email").fill(PATIENT.email);
    await patient.getByLabel("Password").fill(PASSWORD);
    await patient.getByRole("button", { name: "Create account" }).click();
    await patient.waitForURL("**/my-records");
    await expect.poll(() => patient.getByTestId("patient-name").textContent()).toBe(`${PATIENT.first} ${PATIENT.last}`);
    await expect.poll(() => patient.getByText("Contact your provider to update your records").count()).toBe(1);
    await expect.poll(() => patient.getByRole("cell", { name: "Acute bronchitis" }).count()).toBe(1);
    await patient.getByRole("tab", { name: /Prescriptions/ }).click();
    await expect.poll(() => patient.getByText("Amoxicillin", { exact: true }).count()).toBe(1);
    for (const name of ["New visit", "New prescription", "Stop", "New patient", "Invite to portal", "Remove", "Add"]) {
      expect(await patient.getByRole("button", { name, exact: false }).count(), name).toBe(0);
    }
    expect(await patient.locator("main input, main textarea").count()).toBe(0);
    await scan(patient, "my-records");
  });

  it("lets the patient request an appointment that the provider confirms", async () => {
    await patient.getByRole("button", { name: "Request an appointment" }).click();
    const d = patient.getByRole("dialog");
    await d.getByLabel("Provider").selectOption({ label: `${DOC1.name} (attending)` });
    const t = new Date(Date.now() + 2 * 86400_000);
    const local = `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, "0")}-${String(t.getDate()).padStart(2, "0")}T10:30`;
    await d.getByLabel("Date and time").fill(local);
    await d.getByLabel("Reason").fill("Follow-up on cough");
    await d.getByRole("button", { name: "Send request" }).click();
    await expect.poll(() => patient.getByText("Appointment requested").count()).toBeGreaterThan(0);

    await doc1.goto(patientUrl);
    await doc1.getByRole("tab", { name: /Appointments/ }).click();
    await doc1.getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => doc1.getByRole("cell", { name: "confirmed" }).count()).toBe(1);

    await patient.reload();
    await expect.poll(() => patient.locator("#next-appt").locator("..").getByText("confirmed").count()).toBeGreaterThan(0);
  });

  it("shows a provider off the care team the not-found page, with none of the patient's data", async () => {
    await doc2.goto("/");
    await doc2.waitForURL("**/patients");
    // Visibility is decided before anything streams (patients/[id]/layout.tsx): a real 404,
    // and the same answer as for a patient that does not exist.
    const res = await doc2.goto(patientUrl);
    expect(res!.status()).toBe(404);
    const raw = await res!.text();
    await doc2.getByTestId("not-found").waitFor();
    const rendered = await doc2.content();
    const invisibleText = await doc2.getByTestId("not-found").textContent();
    for (const secret of [PATIENT.last, PATIENT.first, PATIENT.mrn, "Amoxicillin", "bronchitis", "Penicillin"]) {
      expect(raw).not.toContain(secret);
      expect(rendered).not.toContain(secret);
    }
    // the same page as for a patient that does not exist
    const missing = await doc2.goto("/patients/00000000-0000-4000-8000-000000000000");
    expect(missing?.status()).toBe(res!.status());
    await doc2.getByTestId("not-found").waitFor();
    expect(await doc2.getByTestId("not-found").textContent()).toBe(invisibleText);
    await scan(doc2, "not-found");
  });

  it("lets an admin assign a care team; a nurse charts but cannot prescribe; removal hides the chart again", async () => {
    await admin.goto(patientUrl);
    await admin.getByRole("tab", { name: "Care team" }).click();
    await admin.getByLabel("Provider").selectOption({ label: `${DOC2.name} — ${DOC2.specialty}` });
    await admin.getByLabel("Role").selectOption("nurse");
    await admin.getByRole("button", { name: "Add", exact: true }).click();
    await expect.poll(() => admin.getByRole("cell", { name: DOC2.name, exact: true }).count()).toBe(1);
    await scan(admin, "chart-care-team");

    await doc2.goto(patientUrl);
    await expect.poll(() => doc2.getByTestId("patient-name").textContent()).toBe(`${PATIENT.first} ${PATIENT.last}`);
    // the header streams in before the tab panels: wait for the Visits tab's controls
    await doc2.getByRole("tab", { name: /Visits/ }).click();
    await expect.poll(() => doc2.getByRole("button", { name: "New visit" }).count()).toBe(1);
    await doc2.getByRole("tab", { name: /Prescriptions/ }).click();
    await expect.poll(() => doc2.getByText("Amoxicillin", { exact: true }).count()).toBe(1);
    expect(await doc2.getByRole("button", { name: "New prescription" }).count()).toBe(0);
    expect(await doc2.getByRole("button", { name: /^Stop/ }).count()).toBe(0);

    await admin.getByRole("button", { name: `Remove ${DOC2.name}` }).click();
    await expect.poll(() => admin.getByRole("cell", { name: DOC2.name, exact: true }).count()).toBe(0);
    await doc2.goto(patientUrl);
    await doc2.getByTestId("not-found").waitFor();
    expect(await doc2.content()).not.toContain(PATIENT.last);
  });

  it("finds no serious or critical accessibility violations on the main pages", () => {
    const failures = Object.entries(a11y).filter(([, v]) => v.length > 0);
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    expect(Object.keys(a11y).length).toBeGreaterThanOrEqual(10);
  });
});
