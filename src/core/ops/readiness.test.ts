import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { engines, installTestDatabase, TEST_PG_URL, type TestDatabase } from "../../../tests/support/db";
import { GET as liveRoute } from "@/app/api/health/live/route";
import { GET as readyRoute } from "@/app/api/health/ready/route";
import { withoutDatabase } from "../../../tests/support/database-absent";
import { startRealtime, stopRealtime } from "../realtime/index";
import { useObjectStore } from "../storage/index";
import { LocalObjectStore } from "../storage/local-store";
import { beginDraining, resetDraining } from "./draining";
import { checkReadiness, forgetReadinessResults, type ReadinessProbes } from "./readiness";

const ok = () => Promise.resolve();
const probes = (over: Partial<ReadinessProbes> = {}): ReadinessProbes => ({
  database: ok,
  storage: ok,
  realtimeListening: () => true,
  draining: () => false,
  timeoutMs: 200,
  ...over,
});

describe("checkReadiness", () => {
  it("is ready when every check passes, and names each check", async () => {
    const r = await checkReadiness(probes());
    expect(r.ready).toBe(true);
    expect(Object.keys(r.checks).sort()).toEqual(["database", "draining", "realtime", "storage"]);
  });

  it("is not ready when one check fails, and says which and why", async () => {
    const full = await checkReadiness(probes({ storage: () => Promise.reject(Object.assign(new Error("no space"), { code: "ENOSPC" })) }));
    expect(full.ready).toBe(false);
    expect(full.checks.storage).toMatchObject({ ok: false, reason: "ENOSPC" });
    expect(full.checks.database.ok).toBe(true);

    const deaf = await checkReadiness(probes({ realtimeListening: () => false }));
    expect(deaf).toMatchObject({ ready: false, checks: { realtime: { ok: false, reason: "listener_disconnected" } } });

    const draining = await checkReadiness(probes({ draining: () => true }));
    expect(draining).toMatchObject({ ready: false, checks: { draining: { ok: false, reason: "shutting_down" } } });
  });

  it("bounds a check that hangs, and joins it instead of starting another", async () => {
    let started = 0;
    const hang = () => {
      started++;
      return new Promise<void>(() => undefined);
    };
    const p = probes({ database: hang, timeoutMs: 100 });
    const t0 = Date.now();
    const [a, b] = await Promise.all([checkReadiness(p), checkReadiness(p)]);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(a.checks.database).toMatchObject({ ok: false, reason: "timeout" });
    expect(b.checks.database).toMatchObject({ ok: false, reason: "timeout" });
    await checkReadiness(p);
    expect(started).toBe(1);
  });

  it("reuses a finished probe's result for reuseMs: polling does not write to the store on every hit", async () => {
    let writes = 0;
    const p = probes({ storage: async () => void writes++, reuseMs: 300 });
    await checkReadiness(p);
    await checkReadiness(p);
    expect(writes).toBe(1);
    // the clock (Date only) moves past reuseMs instead of the test sleeping through it
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    try {
      vi.setSystemTime(Date.now() + 350);
      await checkReadiness(p);
    } finally {
      vi.useRealTimers();
    }
    expect(writes).toBe(2);
  });

  it("never echoes an error message (it could name a host or a path)", async () => {
    const r = await checkReadiness(probes({ database: () => Promise.reject(new Error("connect to db.internal:5432 as admin failed")) }));
    expect(r.checks.database.reason).toBe("error");
  });
});

describe.each(engines)("GET /api/health/ready and /live on %s", (engine) => {
  let t: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    dir = await mkdtemp(path.join(os.tmpdir(), "carebase-ready-"));
    await startRealtime(t.db);
  });
  afterEach(() => {
    useObjectStore(undefined);
    resetDraining();
    forgetReadinessResults();
  });
  afterAll(async () => {
    await stopRealtime();
    await rm(dir, { recursive: true, force: true });
    await t?.drop();
  });

  async function ready() {
    forgetReadinessResults();
    const res = await readyRoute();
    return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, { ok: boolean; reason?: string }> } };
  }

  it("200 when the database answers, the store takes a write and the listener is up; live is 200", async () => {
    const store = new LocalObjectStore(path.join(dir, "objects"));
    useObjectStore(store);
    const r = await ready();
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("ready");
    expect(Object.values(r.body.checks).every((c) => c.ok)).toBe(true);
    // the probe object is gone again
    const left: string[] = [];
    for await (const o of store.list()) left.push(o.key);
    expect(left).toEqual([]);
    expect((await liveRoute()).status).toBe(200);
  });

  it("503 naming storage when the store cannot be written", async () => {
    const blocked = path.join(dir, "a-file");
    await writeFile(blocked, "in the way");
    useObjectStore(new LocalObjectStore(path.join(blocked, "objects")));
    const r = await ready();
    expect(r.status).toBe(503);
    expect(r.body.checks.storage).toEqual(expect.objectContaining({ ok: false, reason: "ENOTDIR" }));
    expect(r.body.checks.database.ok).toBe(true);
  });

  it("503 naming draining once shutdown begins (live stays 200)", async () => {
    useObjectStore(new LocalObjectStore(path.join(dir, "objects")));
    beginDraining();
    const r = await ready();
    expect(r.status).toBe(503);
    expect(r.body.checks.draining).toEqual({ ok: false, reason: "shutting_down" });
    expect((await liveRoute()).status).toBe(200);
  });

  it("503 naming database when no database is open", async () => {
    useObjectStore(new LocalObjectStore(path.join(dir, "objects")));
    const r = await withoutDatabase(ready);
    expect(r.status).toBe(503);
    expect(r.body.checks.database.ok).toBe(false);
  });

  it.runIf(engine === "postgresql")("503 naming database and realtime when the server refuses connections; 200 once it is back", async () => {
    useObjectStore(new LocalObjectStore(path.join(dir, "objects")));
    const su = new pg.Client({ connectionString: superuserUrl() });
    await su.connect();
    const name = (await t.db.pool.query<{ d: string }>("select current_database() as d")).rows[0].d;
    try {
      await su.query(`alter database ${name} allow_connections false`);
      // the pool's connections and the realtime LISTEN connection, as a server restart would
      await su.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [name]);
      await new Promise((r) => setTimeout(r, 300));
      const r = await ready();
      expect(r.status).toBe(503);
      expect(r.body.checks.database).toMatchObject({ ok: false, reason: "55000" }); // "not currently accepting connections"
      expect(r.body.checks.realtime).toEqual({ ok: false, reason: "listener_disconnected" });
    } finally {
      await su.query(`alter database ${name} allow_connections true`);
      await su.end();
    }
    // and back: the listener reconnects with its backoff
    const deadline = Date.now() + 20_000;
    let last = await ready();
    while (last.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      last = await ready();
    }
    expect(last.status).toBe(200);
  }, 30_000);

  it("503 naming realtime once the listener is gone", async () => {
    useObjectStore(new LocalObjectStore(path.join(dir, "objects")));
    await stopRealtime();
    const r = await ready();
    expect(r.status).toBe(503);
    expect(r.body.checks.realtime).toEqual({ ok: false, reason: "listener_disconnected" });
    await startRealtime(t.db);
    expect((await ready()).status).toBe(200);
  });
});

function superuserUrl(): string {
  const u = new URL(TEST_PG_URL!);
  u.username = "postgres";
  u.password = "";
  return u.toString();
}
