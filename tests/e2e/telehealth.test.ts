import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM, ensureBuild, hasChromium, jsonApi, newContext, screenshots, seriousViolations, setUpAdminWithMfa, signInThroughPage, startServer, type RunningServer } from "./support";

/**
 * Telehealth video visits (issue #22) in two Chromium contexts with fake camera and
 * microphone: the provider starts the visit from Today, the patient joins from the portal
 * and waits, the provider admits, each side's remote <video> plays (videoWidth > 0 and
 * getStats' inbound bytes growing), a mute shows on the other side, ending it records a
 * telehealth visit. A second patient and an off-team provider get not_found. axe on the
 * call page; 390 px without horizontal scrolling.
 */
const PASSWORD = "sturdy orange kettle lamp";
const ADMIN = { full_name: "Ada Admin", email: "ada.tele@clinic.test" };
const DOC = { full_name: "Dr Joan Video", email: "joan.tele@clinic.test", credential: "physician", license_number: "LIC-9922", specialty: "Family medicine" };
const OTHER_DOC = { full_name: "Dr Off Team", email: "off.tele@clinic.test", credential: "physician", license_number: "LIC-9923", specialty: "Dermatology" };
const PATIENT = { first_name: "Vera", last_name: "Vidal", mrn: "MRN-TELE-1", email: "vera@patient.test", dob: "1979-03-14" };
const OTHER = { first_name: "Otto", last_name: "Other", mrn: "MRN-TELE-2", email: "otto@patient.test", dob: "1990-01-01" };

describe.skipIf(!hasChromium)("telehealth video visit in two Chromium contexts", () => {
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const api = jsonApi(() => server.url);
  let docToken = "";
  let patientId = "";
  let appointmentId = "";
  let doc: Page;
  let pat: Page;

  async function signedIn(email: string, lands: string): Promise<Page> {
    const ctx = await newContext(browser, server.url);
    contexts.push(ctx);
    const p = await ctx.newPage();
    await signInThroughPage(p, email, PASSWORD, lands);
    return p;
  }

  async function signUpProvider(who: typeof DOC, adminToken: string): Promise<string> {
    const s = await api("/api/v1/auth/signup", { body: { ...who, password: PASSWORD, role: "provider" } });
    expect(s.status).toBe(201);
    expect((await api(`/api/v1/admin/providers/${s.body.user.id}/verify`, { body: {}, token: adminToken })).status).toBe(200);
    return (await api("/api/v1/auth/token", { body: { email: who.email, password: PASSWORD } })).body.access_token;
  }

  async function patientWithPortal(p: typeof PATIENT, token: string): Promise<{ id: string; token: string }> {
    const created = await api("/api/v1/patients", { token, body: { first_name: p.first_name, last_name: p.last_name, date_of_birth: p.dob, gender: "female", mrn: p.mrn } });
    expect(created.status).toBe(201);
    const code = (await api(`/api/v1/patients/${created.body.id}/invite`, { body: {}, token })).body.invite_code;
    const signup = await api("/api/v1/auth/signup", {
      body: { role: "patient", invite_code: code, date_of_birth: p.dob, full_name: `${p.first_name} ${p.last_name}`, email: p.email, password: PASSWORD },
    });
    expect(signup.status).toBe(201);
    return { id: created.body.id, token: (await api("/api/v1/auth/token", { body: { email: p.email, password: PASSWORD } })).body.access_token };
  }

  /** Frames of the remote video are decoded, and the inbound byte count (from getStats) grows. */
  async function remotePlays(p: Page): Promise<void> {
    const video = p.getByTestId("remote-video").first();
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    const tile = p.getByTestId("remote-tile").first();
    const bytes = async () => Number(await tile.getAttribute("data-bytes-received"));
    await expect.poll(bytes, { timeout: 15_000 }).toBeGreaterThan(0);
    const first = await bytes();
    await expect.poll(bytes, { timeout: 15_000 }).toBeGreaterThan(first);
  }

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
      ],
    });
    const adminToken = await setUpAdminWithMfa(api, ADMIN, PASSWORD);
    docToken = await signUpProvider(DOC, adminToken);
    const offToken = await signUpProvider(OTHER_DOC, adminToken);
    patientId = (await patientWithPortal(PATIENT, docToken)).id;
    const other = await patientWithPortal(OTHER, offToken);
    const starts = new Date(Date.now() + 2 * 60_000);
    const booked = await api(`/api/v1/patients/${patientId}/appointments`, {
      token: docToken,
      body: { starts_at: starts.toISOString(), ends_at: new Date(starts.getTime() + 20 * 60_000).toISOString(), reason: "Blood pressure check", visit_type: "telehealth" },
    });
    expect(booked.status).toBe(201);
    appointmentId = booked.body.id;
    // who may not join: not found, as if there were no such appointment
    for (const token of [other.token, offToken]) {
      const r = await api(`/api/v1/appointments/${appointmentId}/call`, { token });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("not_found");
    }
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("provider starts, patient waits and is admitted, both remote videos play, a mute shows across, ending records the visit", async () => {
    doc = await signedIn(DOC.email, "/patients");
    await doc.goto("/today");
    await doc.getByRole("link", { name: "Start video visit" }).click();
    await doc.waitForURL(`**/visits/call/${appointmentId}`);
    await expect.poll(() => doc.getByTestId("start-call").isEnabled()).toBe(true);
    expect(await seriousViolations(doc)).toEqual([]);
    await doc.getByTestId("start-call").click();
    await expect.poll(() => doc.getByTestId("call-alone").count()).toBe(1);

    pat = await signedIn(PATIENT.email, "/my-records");
    await pat.getByRole("link", { name: "Join video visit" }).first().click();
    await pat.waitForURL(`**/visits/call/${appointmentId}`);
    await expect.poll(() => pat.getByTestId("join-call").isEnabled()).toBe(true);
    await pat.getByTestId("join-call").click();
    await expect.poll(() => pat.getByTestId("waiting-room").count()).toBe(1);
    expect(await pat.getByTestId("call-announcer").textContent()).toContain("waiting room");
    expect(await seriousViolations(pat)).toEqual([]);

    await expect.poll(() => doc.getByTestId("admit").count()).toBe(1);
    await doc.getByTestId("admit").click();

    await remotePlays(doc);
    await remotePlays(pat);
    // the provider may bring in a colleague from the care team (here the team is the provider alone)
    await expect.poll(async () => (await doc.getByTestId("add-colleague").textContent()) ?? "").toContain("Nobody else is on this patient's care team");
    expect(await pat.getByTestId("add-colleague").count()).toBe(0);
    expect(await seriousViolations(doc)).toEqual([]);

    await pat.getByTestId("toggle-mic").click();
    await expect.poll(() => doc.getByTestId("remote-muted").count()).toBe(1);
    await expect.poll(async () => (await doc.getByTestId("call-announcer").textContent()) ?? "").toContain("muted");

    // 390 px: nothing scrolls sideways
    await pat.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => pat.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshots(pat, "telehealth-call-patient");

    await doc.getByTestId("end-call").click();
    await expect.poll(() => doc.getByTestId("call-ended").count()).toBe(1);
    await expect.poll(() => pat.getByTestId("call-ended").count()).toBe(1);

    const visits = await api(`/api/v1/patients/${patientId}/visits`, { token: docToken });
    const rows = (visits.body.data ?? visits.body) as { visit_type: string; notes: string }[];
    const tele = rows.find((v) => v.visit_type === "telehealth");
    expect(tele?.notes).toContain("Dr Joan Video");
    expect(tele?.notes).toContain("Vera Vidal");
  });
});
