import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import * as OTPAuth from "otpauth";
import { ROOT, ensureBuild, freePort, hasChromium, jsonApi, launchBrowser, newContext, seriousViolations, setUpAdminWithMfa, startServer, type RunningServer } from "./support";

/**
 * SMART on FHIR as a real app meets it (issue #17): a tiny static app on its own origin uses
 * SMART's own JavaScript client (fhirclient) in Chromium: authorize (discovery, PKCE) → the
 * portal's sign-in → the consent page → back to the app → token → reads the Patient and
 * its Observations through CORS.
 */
const PASSWORD = "sturdy orange kettle lamp";
const ADMIN = { full_name: "Ada Admin", email: "ada.smart@clinic.test" };
const DOC = { full_name: "Dr Grace Hopper", email: "grace.smart@clinic.test", credential: "physician", license_number: "LIC-7171", specialty: "Family medicine" };
const PATIENT = { email: "zoe.smart@patient.test", full_name: "Zoë Smart" };

const APP_HTML = (body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Health Tracker</title>
<script src="/fhir-client.js"></script></head><body><main><h1>Health Tracker</h1><p id="out">Working…</p></main><script>${body}</script></body></html>`;

describe.skipIf(!hasChromium)("SMART on FHIR with fhirclient in Chromium", () => {
  let server: RunningServer;
  let app: Server;
  let appOrigin = "";
  let browser: Browser;
  let patientId = "";
  let clientId = "";
  let totp: OTPAuth.TOTP;
  const api = jsonApi(() => server.url);

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    browser = await launchBrowser();
    const appPort = await freePort();
    appOrigin = `http://localhost:${appPort}`;
    const clientJs = readFileSync(path.join(ROOT, "node_modules", "fhirclient", "build", "fhir-client.js"));
    app = createServer((req, res) => {
      const url = new URL(req.url ?? "/", appOrigin);
      if (url.pathname === "/fhir-client.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(clientJs);
      if (url.pathname === "/launch.html") {
        return void res.writeHead(200, { "content-type": "text/html" }).end(APP_HTML(
          `FHIR.oauth2.authorize({ clientId: ${JSON.stringify(clientId)}, scope: "openid fhirUser launch/patient patient/Patient.rs patient/Observation.rs offline_access", redirectUri: "/app.html", iss: ${JSON.stringify(`${server.url}/fhir/R4`)}, pkceMode: "required" });`,
        ));
      }
      if (url.pathname === "/launch-staff.html") {
        return void res.writeHead(200, { "content-type": "text/html" }).end(APP_HTML(
          `FHIR.oauth2.authorize({ clientId: ${JSON.stringify(clientId)}, scope: "openid fhirUser user/Patient.rs", redirectUri: "/staff.html", iss: ${JSON.stringify(`${server.url}/fhir/R4`)}, pkceMode: "required" });`,
        ));
      }
      if (url.pathname === "/staff.html") {
        return void res.writeHead(200, { "content-type": "text/html" }).end(APP_HTML(`
          FHIR.oauth2.ready().then(async (client) => {
            const bundle = await client.request("Patient");
            const out = document.getElementById("out");
            out.textContent = "Patients " + bundle.total;
            out.dataset.user = client.getFhirUser() || "";
          }).catch((e) => { document.getElementById("out").textContent = "Failed: " + e.message; });`));
      }
      if (url.pathname === "/app.html") {
        return void res.writeHead(200, { "content-type": "text/html" }).end(APP_HTML(`
          FHIR.oauth2.ready().then(async (client) => {
            const patient = await client.patient.read();
            const obs = await client.request("Observation?patient=" + client.patient.id, { flat: true });
            let denied = "no";
            try { await client.request("MedicationRequest?patient=" + client.patient.id); } catch (e) { denied = String(e.status || e.statusCode || e.message); }
            const out = document.getElementById("out");
            out.textContent = "Patient " + patient.name[0].family + "; observations " + obs.length + "; medications " + denied;
            out.dataset.patient = client.patient.id;
            out.dataset.refresh = client.state.tokenResponse.refresh_token ? "yes" : "no";
          }).catch((e) => { document.getElementById("out").textContent = "Failed: " + e.message; });`));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => app.listen(appPort, "127.0.0.1", () => r()));

    const adminToken = await setUpAdminWithMfa(api, ADMIN, PASSWORD);
    const reg = await api("/api/v1/admin/apps", {
      token: adminToken,
      body: { name: "Health Tracker", redirect_uris: [`${appOrigin}/app.html`, `${appOrigin}/staff.html`], confidential: false, scopes: ["openid", "fhirUser", "offline_access", "launch/patient", "patient/Patient.rs", "patient/Observation.rs", "user/Patient.rs"] },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    clientId = reg.body.client_id;
    const s = await api("/api/v1/auth/signup", { body: { ...DOC, password: PASSWORD, role: "provider" } });
    expect((await api(`/api/v1/admin/providers/${s.body.user.id}/verify`, { body: {}, token: adminToken })).status).toBe(200);
    let docToken = (await api("/api/v1/auth/token", { body: { email: DOC.email, password: PASSWORD } })).body.access_token;
    const enrol = await api("/api/v1/auth/mfa/enroll", { body: {}, token: docToken });
    totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrol.body.secret), digits: 6, period: 30, algorithm: "SHA1" });
    const verified = await api("/api/v1/auth/mfa/verify", { body: { code: totp.generate() }, token: docToken });
    expect(verified.status).toBe(200);
    docToken = verified.body.access_token; // the session now has two factors
    const created = await api("/api/v1/patients", {
      token: docToken,
      body: { first_name: "Zoë", last_name: "Smartfield", date_of_birth: "1975-03-09", gender: "female", allergies: [], mrn: "MRN-SMART-1" },
    });
    patientId = created.body.id;
    const visit = await api(`/api/v1/patients/${patientId}/visits`, {
      token: docToken,
      body: { visit_date: new Date().toISOString(), visit_type: "office", chief_complaint: "Check-up", vitals: { heart_rate: 68, blood_pressure: "118/76" } },
    });
    expect(visit.status, JSON.stringify(visit.body)).toBe(201);
    const invite = (await api(`/api/v1/patients/${patientId}/invite`, { body: {}, token: docToken })).body.invite_code;
    const signup = await api("/api/v1/auth/signup", { body: { ...PATIENT, password: PASSWORD, role: "patient", invite_code: invite, date_of_birth: "1975-03-09" } });
    expect(signup.status, JSON.stringify(signup.body)).toBe(201);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (app ? app.close(() => r(undefined)) : r(undefined)));
    await server?.stop();
  });

  it("an app connects: sign in, consent, token, then it reads the Patient and Observations (and not what it was not granted)", async () => {
    const ctx = await newContext(browser, server.url);
    const page = await ctx.newPage();
    await page.goto(`${appOrigin}/launch.html`);
    await page.waitForURL("**/sign-in?next=**");
    await page.getByLabel("Email").fill(PATIENT.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/oauth/consent/**");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Connect Health Tracker?");
    await expect.poll(() => page.getByRole("checkbox").count()).toBe(6);
    expect(await seriousViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // the user narrows: no offline access
    await page.getByRole("checkbox", { name: /Keep access when you are not using the app/ }).uncheck();
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.waitForURL(`${appOrigin}/app.html**`);
    const out = page.locator("#out");
    await expect.poll(() => out.textContent(), { timeout: 30_000 }).toMatch(/^Patient Smartfield; observations [1-9]\d*; medications 403$/);
    expect(await out.getAttribute("data-patient")).toBe(patientId);
    expect(await out.getAttribute("data-refresh")).toBe("no");
    await ctx.close();

    // the patient sees the app among their connected apps, and the read in their access log "via" it
    const patientToken = (await api("/api/v1/auth/token", { body: { email: PATIENT.email, password: PASSWORD } })).body.access_token;
    const apps = await api("/api/v1/me/apps", { token: patientToken });
    expect(apps.body.data.map((a: { name: string }) => a.name)).toEqual(["Health Tracker"]);
  });

  it("a clinician with two factors connects it with user/ scopes: password, then the authentication code, then consent", async () => {
    const ctx = await newContext(browser, server.url);
    const page = await ctx.newPage();
    await page.goto(`${appOrigin}/launch-staff.html`);
    await page.waitForURL("**/sign-in?next=**");
    await page.getByLabel("Email").fill(DOC.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByLabel(/^Authentication code/).fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    await page.waitForURL("**/oauth/consent/**");
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.waitForURL(`${appOrigin}/staff.html**`);
    const out = page.locator("#out");
    await expect.poll(() => out.textContent(), { timeout: 30_000 }).toBe("Patients 1");
    expect(await out.getAttribute("data-user")).toMatch(/^Practitioner\/[0-9a-f-]{36}$/);
    await ctx.close();
  });
});
