/**
 * Requests failed during a rolling restart of one of two instances behind a proxy (issue #13,
 * goal: 0). Two production server processes (server.ts on the production build) share one
 * PostgreSQL database, CAREBASE_SECRET and DATA_DIR; nginx in front lists both in an
 * `upstream`. Clients send a mix of authenticated chart reads and writes (care-team messages,
 * visits) through nginx, on keep-alive connections as browsers do, while instance A is
 * restarted (SIGTERM, wait for its exit, start it again, wait until it is ready), then B.
 *
 * Printed: requests sent, failed (an unexpected status or a connection error), writes that
 * committed although their client was told they failed (rows in the database against 2xx
 * answers; what a retrying client would duplicate), writes answered 2xx with no row, and the
 * goal line.
 *
 *   npm run bench:rolling-restart                   the nginx config of docs/reverse-proxy.md
 *   npm run bench:rolling-restart -- --proxy=naive  nginx as it was before (upstream keep-alive,
 *                                                   default proxy_next_upstream, request
 *                                                   buffering off): shows what fails without it
 *   BENCH_DATABASE_URL or TEST_DATABASE_URL        the PostgreSQL server (default
 *                                                   postgres://carebase_app@127.0.0.1:5432/postgres;
 *                                                   a throw-away database is created and dropped)
 *   BENCH_WORKERS=8  BENCH_ROUNDS=1 (A then B, that many times)  BENCH_SETTLE_SECONDS=3
 *   SHUTDOWN_DELAY_SECONDS=0  NEXT_DIST_DIR=.next
 *
 * Needs nginx (`apt-get install nginx-light`; NGINX=/path/to/nginx) and a production build
 * (made here if missing, as the e2e suite does).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import os from "node:os";
import path from "node:path";

// Before anything reads the configuration: this process seeds the database and signs nothing
// itself, but shares the instances' secret (tests/support/seed.ts starts sessions).
process.env.CAREBASE_SECRET ||= randomBytes(36).toString("base64");
process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://carebase_app@127.0.0.1:5432/postgres";
delete process.env.DATABASE_URL;

const { createTestDatabase } = await import("../tests/support/db");
const { useDatabase } = await import("@/core/db");
const { addToCareTeam, createPatient, createUser, serviceQuery, TEST_PASSWORD } = await import("../tests/support/seed");
const { freePort, startServer, waitReady } = await import("../tests/server/drain-support");
type ServerProcessT = import("../tests/server/drain-support").ServerProcess;
const { ensureBuild } = await import("../tests/e2e/support");

const NGINX = process.env.NGINX || "/usr/sbin/nginx";
const WORKERS = Number(process.env.BENCH_WORKERS ?? 8);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_SECONDS ?? 3) * 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const proxyArg = process.argv.find((a) => a.startsWith("--proxy="))?.slice("--proxy=".length) ?? "recommended";
if (!["recommended", "naive"].includes(proxyArg)) throw new Error(`--proxy must be "recommended" or "naive" (got "${proxyArg}")`);
const proxy = proxyArg as "recommended" | "naive";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The nginx configuration measured. `recommended` is the one docs/reverse-proxy.md shows for
 * several instances (the directives are explained there); `naive` is that page's earlier
 * single-instance config with a second server added.
 */
export function nginxConfig(kind: "recommended" | "naive", listen: number, upstreams: number[], prefix: string): string {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `    ${t}_temp_path ${path.join(prefix, "tmp", t)};`).join("\n");
  const head = `daemon off;
master_process off;
worker_processes 1;
pid ${path.join(prefix, "nginx.pid")};
error_log ${path.join(prefix, "error.log")} warn;
events { worker_connections 1024; }
http {
    access_log off;
${temp}
`;
  const servers = upstreams.map((p) => `        server 127.0.0.1:${p}${kind === "recommended" ? " max_fails=0" : ""};`).join("\n");
  const headers = `            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;`;
  if (kind === "naive") {
    return `${head}
    upstream carebase {
${servers}
        keepalive 16;
    }
    server {
        listen 127.0.0.1:${listen};
        client_max_body_size 11m;
        proxy_request_buffering off;
        location / {
            proxy_pass http://carebase;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
${headers}
        }
    }
}
`;
  }
  return `${head}
    upstream carebase {
${servers}
        keepalive 16;
    }
    server {
        listen 127.0.0.1:${listen};
        client_max_body_size 11m;
        location / {
            proxy_pass http://carebase;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
${headers}
            proxy_next_upstream error timeout non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
        }
        location ~ ^/api/v1/patients/[^/]+/documents$ {
            proxy_pass http://carebase;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
${headers}
            proxy_request_buffering off;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
        }
    }
}
`;
}

interface Nginx {
  child: ChildProcess;
  stop(): Promise<void>;
  errors(): string;
}

async function startNginx(conf: string, prefix: string, port: number): Promise<Nginx> {
  mkdirSync(path.join(prefix, "tmp"), { recursive: true });
  mkdirSync(path.join(prefix, "logs"), { recursive: true }); // nginx opens its compiled-in log path before reading the config
  const file = path.join(prefix, "nginx.conf");
  writeFileSync(file, conf);
  const check = spawn(NGINX, ["-t", "-p", prefix, "-c", file], { stdio: ["ignore", "pipe", "pipe"] });
  let checkOut = "";
  check.stderr!.on("data", (d) => (checkOut += d));
  const ok = await new Promise<number | null>((r) => check.on("exit", r));
  if (ok !== 0) throw new Error(`nginx -t refused the config:\n${checkOut}`);
  const child = spawn(NGINX, ["-p", prefix, "-c", file], { stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    up = await new Promise<boolean>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/api/health/live", agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
      req.end();
    });
    if (!up) await sleep(100);
  }
  if (!up) throw new Error(`nginx did not answer on :${port} within 10 s (see ${path.join(prefix, "error.log")})`);
  return {
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGQUIT");
      await exited;
    },
    errors: () => {
      try {
        return readFileSync(path.join(prefix, "error.log"), "utf8");
      } catch {
        return "";
      }
    },
  };
}

type Kind = "chart" | "visits" | "message" | "visit";
interface Outcome {
  kind: Kind;
  seq: number;
  status?: number;
  error?: string;
  at: number;
}
const EXPECTED: Record<Kind, number> = { chart: 200, visits: 200, message: 201, visit: 201 };
const KINDS: Kind[] = ["chart", "message", "visits", "visit"];

function call(agent: Agent, port: number, method: string, p: string, token: string, body?: unknown): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: p,
        agent,
        headers: { authorization: `Bearer ${token}`, ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode }));
        res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(payload);
  });
}

async function main(): Promise<void> {
  if (!existsSync(NGINX)) throw new Error(`nginx not found at ${NGINX}: apt-get install nginx-light (or set NGINX)`);
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  console.log(`build: ${distDir} (made now if missing)`);
  ensureBuild();

  const t = await createTestDatabase("postgresql");
  useDatabase(t.db);
  const url = (t.db.pool.options as { connectionString: string }).connectionString;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "carebase-rolling-"));
  const prefix = mkdtempSync(path.join(os.tmpdir(), "carebase-nginx-"));
  const servers: ServerProcessT[] = [];
  let nginx: Nginx | undefined;
  try {
    const provider = await createUser("provider");
    const patientId = await createPatient({ createdBy: provider.id });
    await addToCareTeam(patientId, provider.id, "attending");

    const [portA, portB, portProxy] = [await freePort(), await freePort(), await freePort()];
    const env = {
      DATABASE_URL: url,
      CAREBASE_SECRET: process.env.CAREBASE_SECRET!,
      DATA_DIR: dataDir, // one object store for both (a shared volume; S3 across hosts)
      TRUST_PROXY: "1",
      LOG_LEVEL: "warn",
      SHUTDOWN_DELAY_SECONDS: process.env.SHUTDOWN_DELAY_SECONDS ?? "0",
      SHUTDOWN_GRACE_SECONDS: process.env.SHUTDOWN_GRACE_SECONDS ?? "20",
      RATE_LIMIT_SIGN_IN_IP: "1000000/60",
      RATE_LIMIT_SIGN_IN_ACCOUNT: "1000000/60",
    };
    const instances: Record<"A" | "B", ServerProcessT> = { A: startServer(env, portA), B: startServer(env, portB) };
    servers.push(instances.A, instances.B);
    await Promise.all([waitReady(instances.A), waitReady(instances.B)]);
    nginx = await startNginx(nginxConfig(proxy, portProxy, [portA, portB], prefix), prefix, portProxy);
    console.log(`proxy: ${proxy} nginx on :${portProxy} → A :${portA}, B :${portB}; ${WORKERS} clients; ${ROUNDS} round(s) of restarts; SHUTDOWN_DELAY_SECONDS=${env.SHUTDOWN_DELAY_SECONDS}`);

    // each client signs in through the proxy, as an app would
    const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
    const tokens: string[] = [];
    for (let w = 0; w < WORKERS; w++) {
      const r = await new Promise<string>((resolve, reject) => {
        const payload = JSON.stringify({ email: provider.email, password: TEST_PASSWORD });
        const req = request(
          { host: "127.0.0.1", port: portProxy, method: "POST", path: "/api/v1/auth/token", agent, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } },
          (res) => {
            let text = "";
            res.on("data", (d) => (text += d));
            res.on("end", () => (res.statusCode === 200 ? resolve((JSON.parse(text) as { access_token: string }).access_token) : reject(new Error(`sign-in ${res.statusCode}: ${text}`))));
          },
        );
        req.on("error", reject);
        req.end(payload);
      });
      tokens.push(r);
    }

    const outcomes: Outcome[] = [];
    let seq = 0;
    let stop = false;
    const t0 = Date.now();
    const load = Promise.all(
      tokens.map(async (token, w) => {
        for (let i = w; !stop; i++) {
          const kind = KINDS[i % KINDS.length];
          const n = seq++;
          const base = `/api/v1/patients/${patientId}`;
          const r =
            kind === "chart"
              ? await call(agent, portProxy, "GET", base, token)
              : kind === "visits"
                ? await call(agent, portProxy, "GET", `${base}/prescriptions`, token)
                : kind === "message"
                  ? await call(agent, portProxy, "POST", `${base}/messages`, token, { message: `rolling-${n}` })
                  : await call(agent, portProxy, "POST", `${base}/visits`, token, { visit_date: new Date().toISOString(), chief_complaint: `rolling-${n}` });
          outcomes.push({ kind, seq: n, ...r, at: Date.now() - t0 });
        }
      }),
    );

    const events: { what: string; at: number }[] = [];
    const mark = (what: string) => {
      events.push({ what, at: Date.now() - t0 });
      console.log(`  ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${what}`);
    };
    await sleep(SETTLE_MS);
    for (const name of Array.from({ length: ROUNDS }, () => ["A", "B"] as const).flat()) {
      const s = instances[name];
      mark(`SIGTERM ${name}`);
      s.child.kill("SIGTERM");
      const code = await s.exited;
      mark(`${name} exited (${code})`);
      if (code !== 0) console.log(s.output().slice(-2000));
      const again = startServer(env, s.port);
      servers.push(again);
      instances[name] = again;
      await waitReady(again);
      mark(`${name} ready again`);
      await sleep(SETTLE_MS);
    }
    stop = true;
    await load;
    mark("load stopped");
    agent.destroy();

    // what the database holds against what the clients were told
    const rows = await serviceQuery(async (tx) => {
      const messages = await tx.selectFrom("care_messages").select("message as tag").where("patient_id", "=", patientId).where("message", "like", "rolling-%").execute();
      const visits = await tx.selectFrom("visits").select("chief_complaint as tag").where("patient_id", "=", patientId).where("chief_complaint", "like", "rolling-%").execute();
      return [...messages, ...visits].map((r) => Number(String(r.tag).slice("rolling-".length)));
    });
    const committed = new Set(rows);
    const duplicated = rows.length - committed.size; // a write a proxy retry ran twice
    const failed = outcomes.filter((o) => o.status !== EXPECTED[o.kind]);
    const writes = outcomes.filter((o) => o.kind === "message" || o.kind === "visit");
    const committedButFailed = writes.filter((o) => o.status !== EXPECTED[o.kind] && committed.has(o.seq));
    const answeredButMissing = writes.filter((o) => o.status === EXPECTED[o.kind] && !committed.has(o.seq));
    const byKind = (k: Kind) => outcomes.filter((o) => o.kind === k).length;
    const seconds = (outcomes.at(-1)?.at ?? 1) / 1000;

    console.log(`\nrequests sent: ${outcomes.length} in ${seconds.toFixed(1)} s (${(outcomes.length / seconds).toFixed(0)}/s): chart reads ${byKind("chart")}, prescription lists ${byKind("visits")}, messages ${byKind("message")}, visits ${byKind("visit")}`);
    console.log(`failed: ${failed.length}`);
    const summary = new Map<string, number>();
    for (const f of failed) summary.set(`${f.kind} ${f.status ?? f.error}`, (summary.get(`${f.kind} ${f.status ?? f.error}`) ?? 0) + 1);
    for (const [k, v] of summary) console.log(`  ${v} × ${k}`);
    for (const f of failed.slice(0, 10)) {
      const near = events.filter((e) => e.at <= f.at).at(-1);
      console.log(`  e.g. ${f.kind} #${f.seq}: ${f.status ?? f.error} at ${(f.at / 1000).toFixed(2)} s (${near ? `${((f.at - near.at) / 1000).toFixed(2)} s after "${near.what}"` : "before the first restart"})`);
    }
    console.log(`writes: ${writes.length} sent, ${rows.length} rows committed; committed but failed: ${committedButFailed.length}; committed twice: ${duplicated}; answered 2xx without a row: ${answeredButMissing.length}`);
    const nginxErrors = nginx.errors().split("\n").filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
    const refused = nginxErrors.filter((l) => l.includes("(111: Connection refused) while connecting to upstream"));
    const other = nginxErrors.filter((l) => !refused.includes(l));
    console.log(`nginx error.log: ${refused.length} connections refused (tried on the other instance), ${other.length} other errors${other.length ? `:\n  ${other.slice(0, 5).map((l) => l.replace(/^.*?\[error\] [^ ]+ /, "").replace(/, client: .*?(request: "[A-Z]+ )/, ", $1")).join("\n  ")}` : ""}`);
    const met = failed.length === 0 && committedButFailed.length === 0 && answeredButMissing.length === 0 && duplicated === 0;
    console.log(`\ngoal: 0 requests failed during a rolling restart of one of two instances: ${met ? "met" : "NOT met"} (${failed.length} failed, ${committedButFailed.length} committed but failed, ${duplicated} committed twice)`);
    process.exitCode = met ? 0 : 1;
  } finally {
    await nginx?.stop();
    for (const s of servers) if (s.child.exitCode === null) s.child.kill("SIGTERM");
    await Promise.all(servers.map((s) => Promise.race([s.exited, sleep(30_000)])));
    for (const s of servers) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    await t.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  }
}

await main();
process.exit(process.exitCode ?? 0);
