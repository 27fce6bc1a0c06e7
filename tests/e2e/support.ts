import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { afterAll, beforeAll, expect } from "vitest";
import * as OTPAuth from "otpauth";

export const ROOT = process.cwd();
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const SCREENSHOTS = path.join(ROOT, "test-results", "screenshots");

if (!hasChromium) {
  console.warn(`\n[e2e] SKIPPED: Chromium not found at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).\n`);
}

/**
 * A production build, once. `next build` type-checks the whole repository; when that
 * fails for reasons outside the app (a broken test file), the suite falls back to
 * compile-only mode so the UI is still tested, and says so.
 */
export function ensureBuild(): void {
  if (existsSync(path.join(ROOT, process.env.NEXT_DIST_DIR || ".next", "BUILD_ID")) && !process.env.E2E_REBUILD) return;
  const next = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
  const full = spawnSync(process.execPath, [next, "build"], { cwd: ROOT, env, encoding: "utf8" });
  if (full.status === 0) return;
  console.warn("[e2e] `next build` failed (see below); retrying with --experimental-build-mode compile (no type check).\n" + (full.stdout + full.stderr).slice(-3000));
  const compile = spawnSync(process.execPath, [next, "build", "--experimental-build-mode", "compile"], { cwd: ROOT, env, encoding: "utf8" });
  if (compile.status !== 0) throw new Error(`next build failed:\n${(compile.stdout + compile.stderr).slice(-4000)}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** `tsx server.ts` (the source of what `npm start` runs compiled; tests/server/start.test.ts runs that) on a free port with an empty, temporary DATA_DIR (PGlite). */
export async function startServer(extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "carebase-e2e-"));
  const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["server.ts"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn", PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: "", CAREBASE_SECRET: "", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${out}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL, viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "America/New_York" });
}

/** Full-page screenshots at desktop and phone width. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: width === 360 ? 780 : 900 });
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/**
 * axe-core: serious and critical violations only, with enough detail to fix them. A
 * `router.refresh()` (after a dialog saves) briefly swaps the streamed <head> metadata, so
 * the scan first waits (≤ 5 s) for the page's <title>; a page that never gets one still fails.
 * Toasts (sonner) fade in and out over 400 ms: a scan during the fade measures contrast
 * against a half-transparent toast, so it waits (≤ 3 s) until no toast is entering or
 * leaving, and then for the fade to end. Settled toasts are scanned like the rest.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.querySelector("title")?.textContent, undefined, { timeout: 5_000 }).catch(() => undefined);
  const fading = '[data-sonner-toast][data-mounted="false"], [data-sonner-toast][data-removed="true"]';
  await page.waitForFunction((sel) => !document.querySelector(sel), fading, { timeout: 3_000 }).catch(() => undefined);
  if (await page.locator("[data-sonner-toast]").count()) await page.waitForTimeout(450);
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}

export type JsonApi = <T = any>(path: string, init?: { method?: string; body?: unknown; token?: string }) => Promise<{ status: number; body: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The JSON API of a running server, as a bearer-token client: `{status, body}`, nothing thrown. */
export function jsonApi(baseUrl: () => string): JsonApi {
  return async (path, init = {}) => {
    const res = await fetch(baseUrl() + path, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { "content-type": "application/json", ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** The clinic's first admin, enrolled in TOTP MFA and verified: returns an aal2 access token. */
export async function setUpAdminWithMfa(api: JsonApi, admin: { email: string; full_name: string }, password: string): Promise<string> {
  const setup = await api("/api/v1/setup", { body: { ...admin, password } });
  if (setup.status !== 201) throw new Error(`setup -> ${setup.status}`);
  const aal1 = (await api("/api/v1/auth/token", { body: { email: admin.email, password } })).body.access_token;
  const enroll = await api("/api/v1/auth/mfa/enroll", { body: {}, token: aal1 });
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enroll.body.secret), digits: 6, period: 30, algorithm: "SHA1" });
  const r = await api("/api/v1/auth/mfa/verify", { body: { code: totp.generate() }, token: aal1 });
  if (r.status !== 200) throw new Error(`mfa verify -> ${r.status}`);
  return r.body.access_token;
}

/**
 * A clinic set up through the JSON API, as most browser tests start: the first admin (aal2
 * through TOTP), verified providers (the first is the attending, signed in), and a patient
 * the attending registers. Returns the tokens and ids the tests go on with.
 */
export interface Clinic {
  adminToken: string;
  /** The providers' user ids, in the order given. */
  providerIds: string[];
  /** The first provider's access token. */
  docToken: string;
  patientId: string;
}

export async function setUpClinic(
  api: JsonApi,
  { password, admin, providers, patient }: { password: string; admin: { email: string; full_name: string }; providers: Record<string, string>[]; patient: Record<string, unknown> },
): Promise<Clinic> {
  const adminToken = await setUpAdminWithMfa(api, admin, password);
  const providerIds: string[] = [];
  for (const who of providers) {
    const s = await api("/api/v1/auth/signup", { body: { ...who, password, role: "provider" } });
    if (s.status !== 201) throw new Error(`provider sign-up -> ${s.status}`);
    providerIds.push(s.body.user.id);
    const v = await api(`/api/v1/admin/providers/${s.body.user.id}/verify`, { body: {}, token: adminToken });
    if (v.status !== 200) throw new Error(`provider verify -> ${v.status}`);
  }
  const docToken = (await api("/api/v1/auth/token", { body: { email: providers[0].email, password } })).body.access_token;
  const created = await api("/api/v1/patients", { token: docToken, body: patient });
  if (created.status !== 201) throw new Error(`patient -> ${created.status} ${JSON.stringify(created.body)}`);
  return { adminToken, providerIds, docToken, patientId: created.body.id };
}

/** A fresh invite code for the patient's own account. */
export async function inviteCodeFor(api: JsonApi, patientId: string, token: string): Promise<string> {
  const code = (await api(`/api/v1/patients/${patientId}/invite`, { body: {}, token })).body?.invite_code;
  if (!code) throw new Error("no invite code");
  return code;
}

/** Signs in on the portal's sign-in page with a password alone and waits for the landing page (`/patients`, `/my-records`, …). */
export async function signInThroughPage(p: Page, email: string, password: string, landing: string): Promise<void> {
  await p.goto("/sign-in");
  await p.getByLabel("Email").fill(email);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(`**${landing}`);
}

/**
 * The pages of one test file: each in a browser context of its own (closed by close()),
 * and scan(), which waits until a page is idle (no request in flight, nothing aria-busy),
 * then records axe's serious violations under a name and takes the screenshots.
 */
export class TestPages {
  readonly a11y: Record<string, string[]> = {};
  private readonly contexts: BrowserContext[] = [];
  private readonly inFlight = new Map<Page, Map<unknown, string>>();

  constructor(
    private readonly browser: () => Browser,
    private readonly baseUrl: () => string,
  ) {}

  async open(): Promise<Page> {
    const ctx = await newContext(this.browser(), this.baseUrl());
    this.contexts.push(ctx);
    const p = await ctx.newPage();
    const pending = new Map<unknown, string>();
    this.inFlight.set(p, pending);
    p.on("request", (r) => pending.set(r, `${r.method()} ${new URL(r.url()).pathname} (${r.resourceType()})`));
    p.on("requestfinished", (r) => pending.delete(r));
    p.on("requestfailed", (r) => pending.delete(r));
    p.on("websocket", (ws) => {
      pending.set(ws, `websocket ${new URL(ws.url()).pathname}`);
      ws.on("close", () => pending.delete(ws));
    });
    return p;
  }

  /**
   * `idle: "required"` fails when the network does not go idle within 15 s, naming what is
   * still in flight; "best-effort" (pages with a live realtime socket) goes on after 15 s.
   */
  async scan(p: Page, name: string, opts: { idle?: "required" | "best-effort"; shots?: boolean } = {}): Promise<void> {
    try {
      await p.waitForLoadState("networkidle", { timeout: 15_000 });
    } catch (e) {
      if (opts.idle !== "best-effort") throw new Error(`${(e as Error).message}\nin flight: ${[...(this.inFlight.get(p)?.values() ?? [])].join(", ")}`);
    }
    await expect.poll(() => p.locator('[aria-busy="true"]').count()).toBe(0);
    this.a11y[name] = await seriousViolations(p);
    if (opts.shots !== false) await screenshots(p, name);
  }

  async close(): Promise<void> {
    for (const c of this.contexts) await c.close().catch(() => undefined);
  }
}

/**
 * A production server (with `env()`, read when it starts) and a Chromium for one describe
 * block: started by a beforeAll (after the hooks registered before this call), stopped by
 * an afterAll. Read `run.server` and `run.browser` inside hooks and tests.
 */
export function serverAndBrowser(env: () => Record<string, string> = () => ({})): { readonly server: RunningServer; readonly browser: Browser } {
  const run = {} as { server: RunningServer; browser: Browser };
  beforeAll(async () => {
    ensureBuild();
    run.server = await startServer(env());
    run.browser = await launchBrowser();
  }, 600_000);
  afterAll(async () => {
    await run.browser?.close();
    await run.server?.stop();
  });
  return run;
}
