import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";

/**
 * The real server as a child process, and a write load that classifies every answer, for the
 * shutdown tests (tests/server/drain.test.ts) and for measuring a restart by hand.
 */

export const ROOT = process.cwd();

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
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

/** `node --import tsx <entry>`: one process, so that signals reach the server itself. */
export function startServer(env: Record<string, string>, port: number, entry = "server.ts"): ServerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "info", PORT: String(port), DATABASE_URL: "", CAREBASE_SECRET: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, port, output: () => out, exited };
}

export interface Answer {
  status?: number;
  body?: string;
  headers?: Record<string, string | string[] | undefined>;
  /** A socket error: ECONNREFUSED means the connection was never accepted. */
  error?: string;
}

/** One request on a connection of its own (no keep-alive reuse), so each outcome is unambiguous. */
export function send(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: "localhost",
        port,
        method,
        path,
        agent: false,
        headers: { ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode, body: text, headers: res.headers }));
        res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(payload);
  });
}

export async function waitReady(s: ServerProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (s.child.exitCode !== null) throw new Error(`server exited early:\n${s.output()}`);
    const r = await send(s.port, "GET", "/api/health/ready");
    if (r.status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server not ready in time:\n${s.output()}`);
}

export interface LoadResult {
  /** 2xx answers: the write committed and the client knows it. */
  ok: number;
  /** Connections refused: the request never reached the server (safe to retry elsewhere). */
  refused: number;
  /** Anything else: a reset or hang-up after the request was sent, or a 5xx; `at`: ms since the load began. */
  failed: { error?: string; status?: number; at: number }[];
}

/**
 * `workers` clients each sign in over and over (every success commits one session row) until
 * the server refuses their connection or `until` resolves.
 */
export async function signInLoad(port: number, credentials: { email: string; password: string }, workers: number, until: Promise<void>): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, refused: 0, failed: [] };
  let stop = false;
  const t0 = Date.now();
  void until.then(() => (stop = true));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stop) {
        const r = await send(port, "POST", "/api/v1/auth/token", credentials);
        if (r.error === "ECONNREFUSED") {
          result.refused++;
          return;
        }
        if (r.status !== undefined && r.status >= 200 && r.status < 300) result.ok++;
        else result.failed.push({ error: r.error, status: r.status, at: Date.now() - t0 });
      }
    }),
  );
  return result;
}
