import { createServer, request, type Server } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { isDraining, resetDraining } from "./draining";
import { gracefulShutdown, HttpTraffic, shutdownTiming, type ShutdownTiming } from "./shutdown";

interface Answer {
  status?: number;
  body?: string;
  connection?: string;
  error?: string;
}

/** One request on a fresh connection (no agent reuse), resolving with its answer or its socket error. */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body, connection: res.headers.connection }));
      res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function harness(timing: ShutdownTiming, slowMs: number) {
  const traffic = new HttpTraffic();
  const events: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const server: Server = createServer((req, res) => {
    traffic.track(req, res);
    if (req.url === "/slow") {
      setTimeout(() => {
        events.push("slow answered");
        res.end("done");
      }, slowMs);
    } else res.end("fast");
  });
  traffic.attach(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  let exit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const stop = gracefulShutdown({
    server,
    traffic,
    timing,
    log,
    exit: (code) => exit(code),
    steps: [
      { name: "realtime", run: () => void events.push("realtime stopped") },
      { name: "failing", run: () => Promise.reject(new Error("boom")) },
      { name: "database", run: () => void events.push("database closed") },
    ],
  });
  return { port, events, lines, exited, stop };
}

afterEach(() => resetDraining());

describe("graceful shutdown", () => {
  it("lets a request in flight finish, refuses new connections, then runs the steps in order and exits 0", async () => {
    const h = await harness({ graceMs: 5_000, delayMs: 0 }, 600);
    const slow = get(h.port, "/slow");
    await sleep(100);
    void h.stop("SIGTERM");
    expect(isDraining()).toBe(true);
    expect((await get(h.port, "/fast")).error).toBe("ECONNREFUSED");
    expect(await slow).toMatchObject({ status: 200, body: "done" });
    expect(await h.exited).toBe(0);
    expect(h.events).toEqual(["slow answered", "realtime stopped", "database closed"]);
    expect(h.lines.find((l) => l.msg === "shutdown step failed")).toMatchObject({ step: "failing" });
    expect(h.lines.find((l) => l.msg === "http drained")).toMatchObject({ drained: true });
  });

  it("after the grace period, closes what is still open and says how many requests it cut off", async () => {
    const h = await harness({ graceMs: 300, delayMs: 0 }, 5_000);
    const slow = get(h.port, "/slow");
    await sleep(100);
    const t0 = Date.now();
    void h.stop("SIGTERM");
    expect((await slow).error).toBe("ECONNRESET");
    expect(await h.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(h.lines.find((l) => l.msg === "grace period over: closing connections with requests still in flight")).toMatchObject({ inFlight: 1 });
    expect(h.events).not.toContain("slow answered");
  });

  it("with a delay, keeps answering while readiness says 503, and closes those connections", async () => {
    const h = await harness({ graceMs: 2_000, delayMs: 400 }, 10);
    void h.stop("SIGTERM");
    expect(isDraining()).toBe(true);
    await sleep(50);
    expect(await get(h.port, "/fast")).toMatchObject({ status: 200, connection: "close" });
    await sleep(500);
    expect((await get(h.port, "/fast")).error).toBe("ECONNREFUSED");
    expect(await h.exited).toBe(0);
  });

  it("a second signal cuts the grace period short", async () => {
    const h = await harness({ graceMs: 10_000, delayMs: 0 }, 10_000);
    const slow = get(h.port, "/slow");
    await sleep(100);
    void h.stop("SIGTERM");
    await sleep(100);
    const t0 = Date.now();
    void h.stop("SIGINT");
    expect((await slow).error).toBe("ECONNRESET");
    expect(await h.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2_500);
  });
});

/** A raw connection: accepted by the server before any byte of its request is sent. */
function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = netConnect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.on("error", reject);
  });
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (d) => (text += d));
    socket.on("close", () => resolve(text));
    socket.on("error", () => undefined);
  });
}

describe("graceful shutdown: connections", () => {
  it("answers a request sent on a connection accepted just before the listener closed (no reset)", async () => {
    const h = await harness({ graceMs: 5_000, delayMs: 0 }, 10);
    const socket = await connect(h.port);
    await sleep(50); // accepted by the server, nothing sent yet
    void h.stop("SIGTERM");
    await sleep(50);
    const answer = readAll(socket);
    socket.write("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text.toLowerCase()).toContain("connection: close");
    expect(await h.exited).toBe(0);
  });

  it("closes keep-alive connections once their answer is done, and silent ones after a second: the drain does not wait for the grace period", async () => {
    const h = await harness({ graceMs: 10_000, delayMs: 0 }, 10);
    const keptAlive = await connect(h.port);
    const keptAliveClosed = readAll(keptAlive);
    keptAlive.write("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
    await sleep(100);
    const silent = await connect(h.port);
    const silentClosed = readAll(silent);
    const t0 = Date.now();
    void h.stop("SIGTERM");
    expect(await keptAliveClosed).toMatch(/^HTTP\/1\.1 200/);
    await silentClosed;
    expect(await h.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

describe("shutdownTiming", () => {
  it("defaults to a 20 s grace period and no delay; refuses nonsense", () => {
    const env = (vars: Record<string, string>) => vars as unknown as NodeJS.ProcessEnv;
    expect(shutdownTiming(env({}))).toEqual({ graceMs: 20_000, delayMs: 0 });
    expect(shutdownTiming(env({ SHUTDOWN_GRACE_SECONDS: "5", SHUTDOWN_DELAY_SECONDS: "2.5" }))).toEqual({ graceMs: 5_000, delayMs: 2_500 });
    expect(() => shutdownTiming(env({ SHUTDOWN_GRACE_SECONDS: "soon" }))).toThrow(/SHUTDOWN_GRACE_SECONDS/);
    expect(() => shutdownTiming(env({ SHUTDOWN_DELAY_SECONDS: "-1" }))).toThrow(/SHUTDOWN_DELAY_SECONDS/);
  });
});
