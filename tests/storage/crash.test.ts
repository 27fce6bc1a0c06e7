import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { engines, TEST_PG_URL } from "../support/db";
import { pdfBytes } from "./support";

interface Child {
  proc: ChildProcess;
  port: number;
  sweep: { removed: string[]; incomplete: number; missing: string[] };
  /** Resolves with the next stdout event of this name. */
  next(event: string): Promise<Record<string, unknown>>;
}

const SERVER = path.join(import.meta.dirname, "fixtures", "upload-server.ts");

const running = new Set<ChildProcess>();

async function start(env: NodeJS.ProcessEnv): Promise<Child> {
  // node itself (not the tsx wrapper, which would fork): SIGKILL must hit the server process
  const proc = spawn(process.execPath, ["--import", "tsx", SERVER], { env, stdio: ["ignore", "pipe", "inherit"] });
  running.add(proc);
  proc.once("exit", () => running.delete(proc));
  const waiting = new Map<string, (v: Record<string, unknown>) => void>();
  const seen: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const w = waiting.get(msg.event as string);
    if (w) {
      waiting.delete(msg.event as string);
      w(msg);
    } else seen.push(msg);
  });
  const next = (event: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const i = seen.findIndex((m) => m.event === event);
      if (i >= 0) return resolve(seen.splice(i, 1)[0]);
      waiting.set(event, resolve);
      proc.once("exit", (code) => reject(new Error(`upload server exited (${code}) before "${event}"`)));
    });
  const ready = await next("ready");
  return { proc, port: ready.port as number, sweep: ready.sweep as Child["sweep"], next };
}

function kill9(child: Child): Promise<void> {
  return new Promise((resolve) => {
    child.proc.once("exit", () => resolve());
    child.proc.kill("SIGKILL");
  });
}

function multipartHead(boundary: string, name: string): Buffer {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="document_type"\r\n\r\nlab_result\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
}

/** Starts an upload; returns the request (to write more or abandon) and its response promise. */
function openUpload(port: number) {
  const boundary = `----crash${randomBytes(6).toString("hex")}`;
  const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/upload", headers: { "content-type": `multipart/form-data; boundary=${boundary}` } });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
  });
  response.catch(() => undefined);
  req.write(multipartHead(boundary, "lab.pdf"));
  return { req, response, end: (bytes: Buffer) => req.end(Buffer.concat([bytes, Buffer.from(`\r\n--${boundary}--\r\n`)])) };
}

async function state(port: number): Promise<{ objects: string[]; documents: string[]; blobs: string[] }> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/state" }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
  });
}

describe.each(engines)("a server killed mid-upload (SIGKILL) on %s", (engine) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const p of running) p.kill("SIGKILL"); // a failed assertion must not leave a server behind
    for (const c of cleanups.reverse()) await c();
  });

  it("leaves no row without a blob and no blob without a row after restart and sweep", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "carebase-crash-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", STORAGE_DRIVER: "local" };
    delete env.DATABASE_URL;
    if (engine === "postgresql") {
      const name = `carebase_crash_${randomBytes(5).toString("hex")}`;
      const admin = new pg.Client({ connectionString: TEST_PG_URL });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(TEST_PG_URL!);
      url.pathname = `/${name}`;
      env.DATABASE_URL = url.toString();
      env.CAREBASE_SECRET = randomBytes(32).toString("base64url");
      env.SWEEP_MIN_AGE_MS = "0"; // one instance only: no upload in flight elsewhere
      cleanups.push(async () => {
        const c = new pg.Client({ connectionString: TEST_PG_URL });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      });
    }
    const incompleteDir = path.join(dataDir, "objects", ".incomplete");

    // Run 1: one upload completes; a second is killed while its bytes stream in.
    let child = await start(env);
    const ok = openUpload(child.port);
    ok.end(pdfBytes(300_000));
    const done = await ok.response;
    expect(done.status).toBe(201);
    const inFlight = openUpload(child.port);
    inFlight.req.write(pdfBytes(2_000_000));
    for (let i = 0; i < 100 && (await readdir(incompleteDir).catch(() => [])).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await readdir(incompleteDir)).length).toBe(1); // the killed upload's partial file
    await kill9(child);
    inFlight.req.destroy();

    // Run 2: the sweeper removes the partial file; this time the server dies after the
    // blob is durable and before its rows commit.
    child = await start({ ...env, CRASH_AFTER_BLOB: "1" });
    expect(child.sweep.incomplete).toBe(1);
    expect(await readdir(incompleteDir)).toEqual([]);
    const doomed = openUpload(child.port);
    doomed.end(pdfBytes(400_000));
    const { key } = (await child.next("blob-stored")) as { key: string };
    await kill9(child);
    doomed.req.destroy();
    const [patient, id] = key.split("/");
    expect(existsSync(path.join(dataDir, "objects", patient, `${id}.cbe`))).toBe(true); // a blob without a row, on disk

    // Run 3: restart; the sweeper removes the orphan; rows and blobs agree exactly.
    child = await start(env);
    try {
      expect(child.sweep.removed).toEqual([key]);
      expect(child.sweep.missing).toEqual([]);
      const s = await state(child.port);
      expect(s.documents).toEqual(s.blobs);
      expect(s.objects).toEqual(s.blobs);
      expect(s.blobs).toHaveLength(1);
      expect(s.blobs).not.toContain(key);
      expect(await readdir(incompleteDir)).toEqual([]);
    } finally {
      child.proc.kill("SIGTERM");
      await new Promise((r) => child.proc.once("exit", r));
    }
  });
});
