/**
 * `npm run demo` registers a wearable for patient1 and prints the simulator command. The
 * token must be one the vitals endpoint accepts (cbd_…), and the command must work exactly
 * as printed: this runs the demo's clinic creation, then the printed command (through npm,
 * as a person would paste it) against an HTTP server that serves the real vitals route on the
 * test database, and checks the samples it sent were stored for patient1's device.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { serviceQuery } from "../support/seed";
import { POST as ingest } from "@/app/api/v1/vitals/route";
import { asService } from "@/core/db/with-user";
import { LocalObjectStore } from "@/core/storage/local-store";
import { useObjectStore } from "@/core/storage/index";
import { createClinic, simulatorCommand } from "../../scripts/demo";

/** A server for POST /api/v1/vitals only, through the route handler the app uses. */
async function vitalsServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const answer = req.method === "POST" && req.url === "/api/v1/vitals"
      ? await ingest(new Request(`http://localhost${req.url}`, { method: "POST", headers, body: Buffer.concat(chunks) }))
      : new Response("not found", { status: 404 });
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(Buffer.from(await answer.arrayBuffer()));
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Runs a shell command line until its output matches `until`, then stops it (the simulator runs until Ctrl-C). */
function runUntil(commandLine: string, until: RegExp, timeoutMs: number): Promise<{ output: string; matched: boolean }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", commandLine], { cwd: process.cwd(), detached: true, env: { ...process.env, NODE_OPTIONS: "" } });
    let output = "";
    let done = false;
    const finish = (matched: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, "SIGINT");
      } catch {
        /* already gone */
      }
      resolve({ output, matched });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (until.test(output)) finish(true);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", () => finish(until.test(output)));
  });
}

describe.each(engines)("the demo's wearable on %s", (engine) => {
  let t: TestDatabase;
  let storeDir: string;
  let token: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    storeDir = await mkdtemp(path.join(os.tmpdir(), "carebase-demo-"));
    useObjectStore(new LocalObjectStore(path.join(storeDir, "objects")));
    token = await asService("demo clinic seeding (test)", (tx) => createClinic(tx, "not-a-real-hash", 2));
  }, 120_000);
  afterAll(async () => {
    useObjectStore(undefined);
    await t?.drop();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  it("gets a device token of the kind the vitals endpoint accepts", () => {
    expect(token).toMatch(/^cbd_[A-Za-z0-9_-]{40,}$/);
  });

  it("prints a simulator command that works as printed", async () => {
    const server = await vitalsServer();
    try {
      const line = simulatorCommand(token, server.url);
      expect(line).toBe(`npm run simulate:wearable -- --token ${token} --url ${server.url}`);
      const before = await countDeviceVitals(token);
      const run = await runUntil(line, /accepted [1-9]\d*/, 60_000);
      expect(run.output, run.output).not.toMatch(/refused|answered 4\d\d/);
      expect(run.matched, run.output).toBe(true);
      expect(await countDeviceVitals(token)).toBeGreaterThan(before);
    } finally {
      await server.close();
    }
  }, 90_000);
});

async function countDeviceVitals(token: string): Promise<number> {
  const { sha256Hex } = await import("@/core/auth/tokens");
  return serviceQuery(async (tx) => {
    const r = await tx
      .selectFrom("vitals")
      .innerJoin("devices", "devices.id", "vitals.device_id")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("devices.token_hash", "=", sha256Hex(token))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  });
}
