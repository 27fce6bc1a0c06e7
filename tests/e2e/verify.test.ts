import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ensureBuild, hasChromium, launchBrowser, newContext, screenshots, seriousViolations, startServer, type RunningServer } from "./support";
import { ClinicApi } from "./clinic-api";

/**
 * Issue #21 end to end, against the production server: a provider downloads a prescription
 * PDF (signed: pdfsig says valid), a pharmacist without an account opens the address printed
 * on it (PUBLIC_URL/verify/<code>) on a phone: status, prescriber, the patient's initials and
 * birth year, nothing more; axe-clean, nothing overflows at 360 px. An unknown code and a
 * malformed one answer the same 404 page.
 */
const PATIENT = { first_name: "Zoë", last_name: "Łukasiewicz-Ødegård 王", mrn: "MRN-VER-2101", date_of_birth: "1979-03-14", gender: "female" };

describe.skipIf(!hasChromium)("prescription verification page", () => {
  let server: RunningServer;
  let browser: Browser;
  let verifyPath = "";
  let pdfText = "";
  let pdfsigOut = "";

  async function open(p: string, name: string): Promise<{ page: Page; status: number }> {
    const ctx = await newContext(browser, server.url);
    const page = await ctx.newPage();
    const res = await page.goto(p);
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 800 });
      expect(await seriousViolations(page), `${name} at ${width}px`).toEqual([]);
      if (width === 360) expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} overflows at 360px`).toBeLessThanOrEqual(360);
    }
    await screenshots(page, name);
    return { page, status: res?.status() ?? 0 };
  }

  beforeAll(async () => {
    ensureBuild();
    server = await startServer();
    const clinic = new ClinicApi(server.url);
    await clinic.setUpAdmin("admin@verify.test");
    await clinic.provider("doc@verify.test", "Dr Ingrid Ødegård");
    const doc = await clinic.token("doc@verify.test");
    const patient = await clinic.post<{ id: string }>("/api/v1/patients", { ...PATIENT, allergies: ["Sulfonamides"] }, doc);
    const rx = await clinic.post<{ id: string }>(
      `/api/v1/patients/${patient.id}/prescriptions`,
      { medication: "Lisinopril 10 mg", dosage: "10 mg", frequency: "once daily", start_date: "2026-12-01" },
      doc,
    );
    const r = await fetch(`${server.url}/api/v1/prescriptions/${rx.id}/pdf`, { headers: { authorization: `Bearer ${doc}` } });
    expect(r.status).toBe(200);
    const bytes = Buffer.from(await r.arrayBuffer());
    const dir = mkdtempSync(path.join(tmpdir(), "verify-e2e-"));
    try {
      writeFileSync(path.join(dir, "rx.pdf"), bytes);
      pdfsigOut = spawnSync("pdfsig", [path.join(dir, "rx.pdf")], { encoding: "utf8" }).stdout;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    pdfText = execFileSync("pdftotext", ["-enc", "UTF-8", "-", "-"], { input: bytes }).toString("utf8");
    const printed = /Verify: (\S+)/.exec(pdfText)?.[1] ?? "";
    verifyPath = new URL(printed).pathname;
    browser = await launchBrowser();
    // a production build first (E2E_REBUILD): minutes on a loaded machine
  }, 1_200_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("the server's PDF is signed and prints the verification address", () => {
    expect(pdfsigOut).toContain("Signature is Valid");
    expect(pdfsigOut).toContain("Total document signed");
    expect(pdfText).toContain(`${PATIENT.first_name} ${PATIENT.last_name}`);
    expect(verifyPath).toMatch(/^\/verify\/[0-9A-HJKMNP-TV-Z]{12}$/);
  });

  it("a pharmacist without an account sees the status, the prescriber, initials and birth year only", async () => {
    const { page, status } = await open(verifyPath, "verify-active");
    expect(status).toBe(200);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Prescription is active");
    expect(await page.getByTestId("verify-status").textContent()).toBe("Active");
    expect(await page.getByTestId("verify-prescriber").textContent()).toBe("Dr Ingrid Ødegård");
    expect(await page.getByTestId("verify-patient").textContent()).toBe("Z.Ł., born 1979");
    const html = await page.content();
    for (const phi of [PATIENT.first_name, "Łukasiewicz", PATIENT.mrn, PATIENT.date_of_birth, "Lisinopril", "Sulfonamides"]) expect(html).not.toContain(phi);
    await page.context().close();
  }, 60_000);

  it("an unknown code and a malformed one get the same not-found page (404)", async () => {
    const code = verifyPath.split("/").pop()!;
    const unknown = await open(`/verify/${code.startsWith("Z") ? "Y" : "Z"}${code.slice(1)}`, "verify-not-found");
    expect(unknown.status).toBe(404);
    const unknownText = await unknown.page.getByTestId("verify-not-found").textContent();
    expect(unknownText).toContain("No prescription matches this code");
    const ctx = await newContext(browser, server.url);
    const page = await ctx.newPage();
    const malformed = await page.goto("/verify/not-a-code");
    expect(malformed?.status()).toBe(404);
    expect(await page.getByTestId("verify-not-found").textContent()).toBe(unknownText);
    await ctx.close();
    await unknown.page.context().close();
  }, 60_000);
});
