import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ensureBuild, hasChromium, inviteCodeFor, jsonApi, launchBrowser, SCREENSHOTS, setUpClinic, signInThroughPage, startServer, TestPages, type RunningServer } from "./support";

/**
 * Documents through the UI (issue #6, item 6): the attending uploads a lab result from the
 * chart (progress bar, cancel, refusals in the browser before a byte is sent, a server
 * refusal shown in the dialog with the fields kept), marks it reviewed (the dashboard's
 * Pending Documents card follows), the patient downloads the same bytes from /my-records,
 * a nurse may upload and review but not delete, and the attending deletes with a reason.
 * The clinic itself (admin with MFA, providers, patient, care team) is set up through the
 * JSON API; portal.test.ts covers those screens.
 */
const PASSWORD = "sturdy orange kettle lamp";
const ADMIN = { full_name: "Ada Admin", email: "ada.docs@clinic.test" };
const DOC = { full_name: "Dr Grace Hopper", email: "grace.docs@clinic.test", credential: "physician", license_number: "LIC-5511", specialty: "Family medicine" };
const NURSE = { full_name: "Nina Nurse", email: "nina.docs@clinic.test", credential: "registered_nurse", license_number: "LIC-5512", specialty: "Nursing" };
const PATIENT = { first_name: "Teodora", last_name: "Vasquez-Lind", mrn: "MRN-DOCS-1", email: "teodora@patient.test" };
const MB = 1024 * 1024;

/** A small but real PDF (what the server sniffs is the %PDF- header; the rest is padding). */
function pdf(size: number, label: string): Buffer {
  const head = Buffer.from(`%PDF-1.7\n% ${label}\n`, "latin1");
  const tail = Buffer.from("\n%%EOF\n", "latin1");
  const body = Buffer.alloc(Math.max(0, size - head.length - tail.length), 0x20);
  return Buffer.concat([head, body, tail]);
}

describe.skipIf(!hasChromium)("documents in the chart and the portal", () => {
  let server: RunningServer;
  let browser: Browser;
  const pages = new TestPages(() => browser, () => server.url);
  const a11y = pages.a11y;
  let adminToken = "";
  let docToken = "";
  let nurseId = "";
  let patientId = "";
  let inviteCode = "";
  let doc: Page;
  let nurse: Page;
  let patient: Page;
  const labPdf = pdf(1.5 * MB, "complete blood count");

  const api = jsonApi(() => server.url);
  /** Requests in flight per page, to say which one kept a page from going idle. */
  const page = (): Promise<Page> => pages.open();
  async function signIn(email: string): Promise<Page> {
    const p = await page();
    await signInThroughPage(p, email, PASSWORD, "/patients");
    return p;
  }
  const scan = (p: Page, name: string, shots = true) => pages.scan(p, name, { shots });
  async function openDocuments(p: Page) {
    await p.goto(`/patients/${patientId}`);
    await p.getByRole("tab", { name: /Documents/ }).click();
  }
  /** Slows this page's uploads down (Chromium's own network throttling), so progress can be watched and cancelled. */
  async function throttleUploads(p: Page, bytesPerSecond: number) {
    const cdp = await p.context().newCDPSession(p);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
    return async () => {
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    };
  }
  async function pendingDocuments(p: Page): Promise<string> {
    await p.goto("/patients");
    const card = p.getByRole("region", { name: "Summary" }).locator("[data-slot=card]").filter({ hasText: "Pending Documents" });
    return ((await card.locator("[data-slot=card-title]").textContent()) ?? "").trim();
  }

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    browser = await launchBrowser();

    // The clinic, through the API: the first admin (aal2 through TOTP), two verified providers,
    // a patient registered by the attending, the second provider on the care team as a nurse.
    const clinic = await setUpClinic(api, {
      password: PASSWORD,
      admin: ADMIN,
      providers: [DOC, NURSE],
      patient: { first_name: PATIENT.first_name, last_name: PATIENT.last_name, date_of_birth: "1979-03-14", gender: "female", allergies: [], mrn: PATIENT.mrn },
    });
    ({ adminToken, docToken, patientId } = clinic);
    nurseId = clinic.providerIds[1];
    expect((await api(`/api/v1/patients/${patientId}/care-team`, { body: { provider_id: nurseId, role: "nurse" }, token: adminToken })).status).toBe(201);
    inviteCode = await inviteCodeFor(api, patientId, docToken);
  });

  afterAll(async () => {
    await pages.close();
    await browser?.close();
    await server?.stop();
  });

  it("refuses a wrong or oversize file in the browser, before a byte is sent", async () => {
    doc = await signIn(DOC.email);
    await openDocuments(doc);
    await expect.poll(() => doc.getByText("No documents yet").count()).toBe(1);
    const posts: string[] = [];
    doc.on("request", (req) => {
      if (req.method() === "POST" && req.url().includes("/documents")) posts.push(req.url());
    });

    await doc.getByRole("button", { name: "Upload document" }).click();
    const d = doc.getByRole("dialog", { name: "Upload document" });
    const file = d.getByLabel(/choose a file/i);
    await file.setInputFiles({ name: "notes.pdf", mimeType: "application/pdf", buffer: Buffer.from("these are plain-text notes, not a PDF") });
    await expect.poll(() => d.locator("#ud-file-error").textContent()).toBe("Only PDF, JPEG or PNG files can be uploaded.");
    await file.setInputFiles({ name: "huge-scan.pdf", mimeType: "application/pdf", buffer: pdf(10 * MB + 1, "too big") });
    await expect.poll(() => d.locator("#ud-file-error").textContent()).toBe("This file is just over the 10 MB limit for documents.");
    await d.getByRole("button", { name: "Upload", exact: true }).click();
    await expect.poll(() => d.getByRole("alert").filter({ hasText: "Please correct the highlighted fields." }).count()).toBe(1);
    expect(await d.locator("#ud-document_type-error").textContent()).toBe("Choose the document's type.");
    expect(posts).toEqual([]);
    await scan(doc, "documents-upload-dialog");
  });

  it("uploads with a real progress bar, can cancel, and shows the card as pending review", async () => {
    const d = doc.getByRole("dialog", { name: "Upload document" });
    await d.getByLabel(/choose a file/i).setInputFiles({ name: "cbc-results.pdf", mimeType: "application/pdf", buffer: labPdf });
    await expect.poll(() => d.getByText("cbc-results.pdf").count()).toBe(1);
    await expect.poll(() => d.locator("#ud-file-error").count()).toBe(0);
    await d.getByLabel("Document type").selectOption("lab_result");
    await d.getByLabel("Description").fill("Complete blood count, fasting");

    // Cancel half-way: nothing is stored and nothing typed is lost.
    let unthrottle = await throttleUploads(doc, 256 * 1024);
    await d.getByRole("button", { name: "Upload", exact: true }).click();
    const bar = d.getByRole("progressbar", { name: "Upload progress" });
    await expect.poll(async () => Number((await bar.getAttribute("aria-valuenow")) ?? 0)).toBeGreaterThan(0);
    await doc.screenshot({ path: path.join(SCREENSHOTS, "documents-uploading-1280.png") });
    await d.getByRole("button", { name: "Cancel upload" }).click();
    await expect.poll(() => doc.getByText("Upload cancelled. Nothing was saved.").count()).toBe(1);
    expect(await bar.count()).toBe(0);
    expect(await d.getByLabel("Document type").inputValue()).toBe("lab_result");
    expect(await d.getByLabel("Description").inputValue()).toBe("Complete blood count, fasting");
    expect((await api(`/api/v1/patients/${patientId}/documents`, { token: docToken })).body.data).toEqual([]);
    await unthrottle();

    // Again, to the end: the bar moves through intermediate values.
    unthrottle = await throttleUploads(doc, 1024 * 1024);
    await doc.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { __progress: number[] }).__progress = seen;
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="upload-progress"] [role="progressbar"]');
        if (el) seen.push(Number(el.getAttribute("aria-valuenow")));
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    });
    // The access cookie lives 15 minutes and only page loads renew it: an upload renews it itself.
    await doc.context().clearCookies({ name: "cb_access" });
    await d.getByRole("button", { name: "Upload", exact: true }).click();
    await expect.poll(() => doc.getByText("Document uploaded. It is pending review.").count()).toBe(1);
    await unthrottle();
    const seen = await doc.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
    expect(seen.some((v) => v > 0 && v < 100), JSON.stringify(seen)).toBe(true);
    // the last progress event and the completion can land in one React render, so the bar may
    // be replaced by the "uploaded" message before 100 is painted: 99 or 100 is the end of it
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(99);

    const card = doc.getByRole("article", { name: "Complete blood count, fasting" });
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.locator("[data-slot=badge]", { hasText: "Pending review" }).count()).toBe(1);
    expect(await card.locator("[data-slot=badge]", { hasText: "Lab result" }).count()).toBe(1);
    expect(await card.getByText("cbc-results.pdf").count()).toBe(1);
    expect(await card.getByText(`by ${DOC.full_name}`).count()).toBe(1);
    expect(await card.getByText("PDF · 1.5 MB").count()).toBe(1);
    expect(await doc.getByRole("tab", { name: "Documents (1)" }).count()).toBe(1);
    expect(await pendingDocuments(doc)).toBe("1");
  });

  it("shows the server's refusal in the dialog and keeps the chosen fields", async () => {
    nurse = await signIn(NURSE.email);
    await openDocuments(nurse);
    const card = nurse.getByRole("article", { name: "Complete blood count, fasting" });
    await expect.poll(() => card.count()).toBe(1);
    // a nurse uploads and reviews, but only the attending deletes
    expect(await card.getByRole("button", { name: /^Mark .* reviewed$/ }).count()).toBe(1);
    expect(await card.getByRole("button", { name: /^Delete/ }).count()).toBe(0);

    await nurse.getByRole("button", { name: "Upload document" }).click();
    const d = nurse.getByRole("dialog", { name: "Upload document" });
    // dropped on the zone rather than picked
    const dropped = await nurse.evaluateHandle((b64) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], "referral.pdf", { type: "application/pdf" }));
      return dt;
    }, pdf(4096, "referral").toString("base64"));
    await d.getByTestId("upload-dropzone").dispatchEvent("drop", { dataTransfer: dropped });
    await expect.poll(() => d.getByText("referral.pdf").count()).toBe(1);
    await d.getByLabel("Document type").selectOption("referral");
    await d.getByLabel("Description").fill("Cardiology referral");
    // Meanwhile the admin takes the nurse off the care team: the server refuses (404).
    expect((await api(`/api/v1/patients/${patientId}/care-team/${nurseId}`, { method: "DELETE", token: adminToken })).status).toBe(204);
    await d.getByRole("button", { name: "Upload", exact: true }).click();
    await expect.poll(() => d.getByRole("alert").first().textContent()).toMatch(/not found/i);
    expect(await d.getByText("referral.pdf").count()).toBe(1);
    expect(await d.getByLabel("Document type").inputValue()).toBe("referral");
    expect(await d.getByLabel("Description").inputValue()).toBe("Cardiology referral");
    expect((await api(`/api/v1/patients/${patientId}/documents`, { token: docToken })).body.data).toHaveLength(1);
  });

  it("lets the attending mark it reviewed (the dashboard's Pending Documents follows)", async () => {
    await openDocuments(doc);
    const card = doc.getByRole("article", { name: "Complete blood count, fasting" });
    await doc.context().clearCookies({ name: "cb_access" }); // renewed once on the 401
    await card.getByRole("button", { name: "Mark Complete blood count, fasting reviewed" }).click();
    await expect.poll(() => card.locator("[data-slot=badge]", { hasText: "Reviewed" }).count()).toBe(1);
    expect(await card.getByText("Pending review").count()).toBe(0);
    expect(await card.getByRole("button", { name: /reviewed$/ }).count()).toBe(0);
    // Loaded afresh (the session check's requests above are left unread and would keep the page from going idle).
    await openDocuments(doc);
    await expect.poll(() => card.locator("[data-slot=badge]", { hasText: "Reviewed" }).count()).toBe(1);
    await scan(doc, "chart-documents");
    expect(await pendingDocuments(doc)).toBe("0");
  });

  it("lets the patient download the same bytes from /my-records, read-only", async () => {
    patient = await page();
    await patient.goto(`/sign-up#invite_code=${inviteCode}`);
    await expect.poll(() => patient.getByLabel("Invite code").inputValue()).not.toBe("");
    await patient.getByLabel("Date of birth").fill("1979-03-14");
    await patient.getByLabel("Full name").fill(`${PATIENT.first_name} ${PATIENT.last_name}`);
    await patient.getByLabel("Email").fill(PATIENT.email);
    await patient.getByLabel("Password").fill(PASSWORD);
    await patient.getByRole("button", { name: "Create account" }).click();
    await patient.waitForURL("**/my-records");
    await patient.getByRole("tab", { name: "Documents (1)" }).click();
    const card = patient.getByRole("article", { name: "Complete blood count, fasting" });
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.locator("[data-slot=badge]", { hasText: "Reviewed" }).count()).toBe(1);
    for (const name of [/Upload/, /reviewed$/, /^Delete/]) expect(await patient.getByRole("button", { name }).count()).toBe(0);

    let lastUrl = "";
    for (let i = 0; i < 2; i++) {
      // every click asks for a fresh signed URL
      const issued = patient.waitForResponse((res) => res.url().endsWith("/signed-url") && res.request().method() === "POST");
      const [download] = await Promise.all([patient.waitForEvent("download"), card.getByRole("button", { name: "Download Complete blood count, fasting" }).click()]);
      expect((await issued).status()).toBe(200);
      expect(download.suggestedFilename()).toBe("cbc-results.pdf");
      expect(new URL(download.url()).pathname).toMatch(/^\/api\/v1\/files\//);
      expect(readFileSync((await download.path())!).equals(labPdf)).toBe(true);
      lastUrl = download.url();
    }
    // The download sets its own headers; JSON answers get the API defaults (respond.ts)
    // (the API is not behind the proxy); pages keep the nonce CSP.
    const file = await patient.request.get(lastUrl);
    expect(file.status()).toBe(200);
    expect(file.headers()["content-security-policy"]).toBe("sandbox; default-src 'none'");
    expect(file.headers()["content-disposition"]).toMatch(/^attachment/);
    expect(file.headers()["x-content-type-options"]).toBe("nosniff");
    const apiAnswer = await patient.request.get("/api/v1/auth/user");
    expect(apiAnswer.headers()["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(apiAnswer.headers()["x-frame-options"]).toBe("DENY");
    expect(apiAnswer.headers()["cache-control"]).toBe("no-store");
    const pageAnswer = await patient.request.get("/my-records");
    expect(pageAnswer.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-/);
    expect(patient.url()).toMatch(/\/my-records$/);
    await scan(patient, "my-records-documents");
  });

  it("lets the attending delete it with a reason; it leaves the chart and the portal", async () => {
    await openDocuments(doc);
    const card = doc.getByRole("article", { name: "Complete blood count, fasting" });
    await card.getByRole("button", { name: "Delete Complete blood count, fasting" }).click();
    const d = doc.getByRole("dialog", { name: "Delete this document?" });
    await d.getByRole("button", { name: "Delete document" }).click();
    await expect.poll(() => d.locator(`[id$="-error"]`).first().textContent()).toMatch(/Give a reason/);
    await d.getByLabel("Reason").fill("Uploaded to the wrong chart");
    await d.getByRole("button", { name: "Delete document" }).click();
    await expect.poll(() => doc.getByText("Document deleted.").count()).toBe(1);
    await expect.poll(() => doc.getByText("No documents yet").count()).toBe(1);
    await patient.reload();
    await patient.getByRole("tab", { name: "Documents (0)" }).click();
    await expect.poll(() => patient.getByText("No documents yet").count()).toBe(1);
  });

  it("finds no serious or critical accessibility violations", () => {
    const failures = Object.entries(a11y).filter(([, v]) => v.length > 0);
    expect(failures, JSON.stringify(failures, null, 2)).toEqual([]);
    expect(Object.keys(a11y)).toEqual(["documents-upload-dialog", "chart-documents", "my-records-documents"]);
  });
});
