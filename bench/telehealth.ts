/**
 * npm run bench:telehealth — video visits on loopback (issue #22).
 *
 * The production build (`npm start`'s server.ts, embedded PGlite, a temporary DATA_DIR) and
 * two headless Chromium contexts with fake camera and microphone, the provider's and the
 * patient's. For each of BENCH_CALLS (10) telehealth appointments: the provider opens the
 * call page and starts the visit; the patient opens it and clicks "Join video visit"; the
 * provider admits as soon as the waiting room shows the patient; the clock stops when the
 * patient's remote <video> has decoded its first frame (videoWidth > 0, checked every
 * animation frame in the page). Then the provider ends the visit.
 *
 * Prints, per call and as p50 / p90: Join → first remote frame (goal ≤ 1.5 s, printed as a
 * ratio of it), admit click → first remote frame, and the signaling messages per call
 * (`signal` frames both pages sent over /realtime/v1, counted by Playwright on the sockets).
 * Everything shares this machine's cores: server, both browsers and this script.
 */
import type { Page } from "playwright-core";

process.env.LOG_LEVEL ??= "silent";
const { chromium } = await import("playwright-core");
const { CHROMIUM, ensureBuild, jsonApi, setUpAdminWithMfa, startServer } = await import("../tests/e2e/support");

const CALLS = Number(process.env.BENCH_CALLS ?? 10);
const GOAL_MS = 1500;
const PASSWORD = "sturdy orange kettle lamp";

ensureBuild();
const server = await startServer();
const api = jsonApi(() => server.url);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"],
});

try {
  const adminToken = await setUpAdminWithMfa(api, { full_name: "Bench Admin", email: "admin.bench@clinic.test" }, PASSWORD);
  const doc = { full_name: "Dr Bench", email: "doc.bench@clinic.test", credential: "physician", license_number: "LIC-B1", specialty: "Family medicine" };
  const signup = await api("/api/v1/auth/signup", { body: { ...doc, password: PASSWORD, role: "provider" } });
  await api(`/api/v1/admin/providers/${signup.body.user.id}/verify`, { body: {}, token: adminToken });
  const docToken = (await api("/api/v1/auth/token", { body: { email: doc.email, password: PASSWORD } })).body.access_token;
  const patient = await api("/api/v1/patients", { token: docToken, body: { first_name: "Bea", last_name: "Bench", date_of_birth: "1980-01-01", gender: "female", mrn: "MRN-BENCH-1" } });
  const code = (await api(`/api/v1/patients/${patient.body.id}/invite`, { body: {}, token: docToken })).body.invite_code;
  await api("/api/v1/auth/signup", { body: { role: "patient", invite_code: code, date_of_birth: "1980-01-01", full_name: "Bea Bench", email: "bea.bench@patient.test", password: PASSWORD } });

  const signIn = async (email: string) => {
    const ctx = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
    return page;
  };
  const docPage = await signIn(doc.email);
  const patPage = await signIn("bea.bench@patient.test");

  let signals = 0;
  const countSignals = (p: Page) =>
    p.on("websocket", (ws) =>
      ws.on("framesent", (f) => {
        if (typeof f.payload === "string" && f.payload.includes('"type":"signal"')) signals++;
      }),
    );
  countSignals(docPage);
  countSignals(patPage);

  const joinToFrame: number[] = [];
  const admitToFrame: number[] = [];
  const perCall: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const starts = new Date(Date.now() + 60_000 + i * 30 * 60_000);
    const booked = await api(`/api/v1/patients/${patient.body.id}/appointments`, {
      token: docToken,
      body: { starts_at: starts.toISOString(), ends_at: new Date(starts.getTime() + 20 * 60_000).toISOString(), reason: `Bench call ${i + 1}`, visit_type: "telehealth" },
    });
    const id = booked.body.id as string;
    await docPage.goto(`/visits/call/${id}`);
    await docPage.getByTestId("start-call").and(docPage.locator(":enabled")).waitFor();
    await docPage.getByTestId("start-call").click();
    await docPage.getByTestId("call-alone").waitFor();
    await patPage.goto(`/visits/call/${id}`);
    await patPage.getByTestId("join-call").and(patPage.locator(":enabled")).waitFor();
    const before = signals;

    // in the patient's page: click Join, then watch every animation frame for the first decoded remote frame
    // (page code as strings: tsx's transform would wrap named functions in a helper the page lacks)
    const measured = patPage.evaluate(`new Promise((resolve) => {
      const join = performance.now() + performance.timeOrigin;
      document.querySelector('[data-testid="join-call"]').click();
      const tick = () => {
        const v = document.querySelector('[data-testid="remote-video"]');
        if (v && v.videoWidth > 0) resolve({ join, frame: performance.now() + performance.timeOrigin });
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })`) as Promise<{ join: number; frame: number }>;
    await docPage.getByTestId("admit").waitFor();
    const admitAt = (await docPage.evaluate(`(() => {
      document.querySelector('[data-testid="admit"]').click();
      return performance.now() + performance.timeOrigin;
    })()`)) as number;
    const m = await measured;
    joinToFrame.push(m.frame - m.join);
    admitToFrame.push(m.frame - admitAt);
    // let trickled candidates finish, then end
    await docPage.getByTestId("remote-video").waitFor();
    await docPage.waitForFunction(`(document.querySelector('[data-testid="remote-video"]')?.videoWidth ?? 0) > 0`);
    await docPage.getByTestId("end-call").click();
    await patPage.getByTestId("call-ended").waitFor();
    perCall.push(signals - before);
    console.log(`call ${i + 1}: join → first remote frame ${Math.round(m.frame - m.join)} ms, admit → frame ${Math.round(m.frame - admitAt)} ms, ${signals - before} signaling messages`);
  }

  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
  const p50 = pct(joinToFrame, 50);
  console.log("");
  console.log(`calls: ${CALLS} (loopback, no STUN/TURN, fake media)`);
  console.log(`join → first remote frame: p50 ${Math.round(p50)} ms, p90 ${Math.round(pct(joinToFrame, 90))} ms; p50 ÷ goal 1,500 ms = ${(p50 / GOAL_MS).toFixed(2)}`);
  console.log(`admit click → first remote frame: p50 ${Math.round(pct(admitToFrame, 50))} ms, p90 ${Math.round(pct(admitToFrame, 90))} ms`);
  console.log(`signaling messages per call (both pages, sent): p50 ${pct(perCall, 50)}, min ${Math.min(...perCall)}, max ${Math.max(...perCall)}`);
} finally {
  await browser.close();
  await server.stop();
}
