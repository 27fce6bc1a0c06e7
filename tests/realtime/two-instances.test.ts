import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PG_URL, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery } from "../support/seed";
import { rootSecret } from "@/core/config";
import { openDatabase, type Database } from "@/core/db/engine";
import {
  Client,
  committedMessageEvents,
  eventIds,
  settle,
  startInstance,
  terminateBackends,
  until,
  urlOf,
  writeSteadily,
  type TestInstance,
} from "./support";

/** Starts tests/realtime/fixtures/instance.ts: a hub in a server process of its own. */
async function spawnInstance(databaseUrl: string): Promise<{ proc: ChildProcess; url: string }> {
  // node itself with tsx's loader (not the tsx CLI, which would fork once more)
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "fixtures", "instance.ts")], {
    env: { ...process.env, DATABASE_URL: databaseUrl, CAREBASE_SECRET: rootSecret().toString("utf8"), LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; url?: string };
        if (msg.event === "ready" && msg.url) resolve(msg.url);
      } catch {
        /* not ours */
      }
    });
    proc.once("exit", (code) => reject(new Error(`instance process exited (${code}) before it was ready`)));
  });
  return { proc, url };
}

/**
 * Two instances on one PostgreSQL database: each has its own LISTEN connection (its own
 * Database handle) and its own WebSocket server on its own port. A change committed
 * anywhere reaches the subscribers of both. The last test runs the second instance as a
 * server process of its own, as production does.
 */
describe.skipIf(!TEST_PG_URL)("two realtime instances on one PostgreSQL", () => {
  let t: TestDatabase;
  let secondDb: Database;
  let a: TestInstance;
  let b: TestInstance;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await installTestDatabase("postgresql");
    const url = (t.db.pool.options as { connectionString: string }).connectionString;
    secondDb = await openDatabase({ url, poolMax: 2 });
    a = await startInstance(t.db);
    b = await startInstance(secondDb);
  });
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    for (const c of open) c.close();
    await a?.stop();
    await b?.stop();
    await secondDb?.close();
    await t?.drop();
  });

  it("delivers each other's events", async () => {
    const attending = await createUser("provider");
    const nurse = await createUser("provider");
    const patientId = await createPatient({ createdBy: attending.id });
    await addToCareTeam(patientId, nurse.id, "nurse");
    const onA = await Client.connect(a.url, attending.accessToken);
    const onB = await Client.connect(b.url, nurse.accessToken);
    open.push(onA, onB);
    expect((await onA.subscribe(`patient:${patientId}:messages`)).type).toBe("subscribed");
    expect((await onB.subscribe(`patient:${patientId}:messages`)).type).toBe("subscribed");

    // Written through the second instance's own pool: instance A hears it over its LISTEN.
    const viaB = await secondDb.kysely.transaction().execute(async (tx) => {
      await sql`select set_config('role', 'service_role', true)`.execute(tx);
      return tx
        .insertInto("care_messages")
        .values({ patient_id: patientId, sender_id: nurse.id, message: "Written on instance B" })
        .returning("id")
        .executeTakeFirstOrThrow();
    });
    const viaA = await serviceQuery((tx) =>
      tx.insertInto("care_messages").values({ patient_id: patientId, sender_id: attending.id, message: "Written on instance A" }).returning("id").executeTakeFirstOrThrow(),
    );
    for (const c of [onA, onB]) {
      await c.waitFor((f) => f.record?.id === viaB.id);
      await c.waitFor((f) => f.record?.id === viaA.id);
    }
    expect(a.hub.stats.deliveries).toBeGreaterThanOrEqual(2);
    expect(b.hub.stats.deliveries).toBeGreaterThanOrEqual(2);
  });

  it("reaches a socket served by another process, and loses nothing on any instance when every listener is killed mid-stream", async () => {
    const spawned = await spawnInstance(urlOf(t.db));
    child = spawned.proc;
    const attending = await createUser("provider");
    const nurse = await createUser("provider");
    const patientId = await createPatient({ createdBy: attending.id });
    await addToCareTeam(patientId, nurse.id, "nurse");
    const topic = `patient:${patientId}:messages`;
    const here = await Client.connect(a.url, attending.accessToken);
    const there = await Client.connect(spawned.url, nurse.accessToken);
    open.push(here, there);
    expect((await here.subscribe(topic)).type).toBe("subscribed");
    expect((await there.subscribe(topic)).type).toBe("subscribed");

    // Written here (the test process's pool); read there by the other process's own listener.
    await writeSteadily(patientId, attending.id, 60, 10, async (i) => {
      // instance A's, instance B's and the other process's LISTEN connections
      if (i === 20) expect(await terminateBackends(t.db, "listeners")).toBe(3);
    });
    const committed = await committedMessageEvents(patientId);
    expect(committed).toHaveLength(60);
    await until(() => here.events(topic).length >= 60 && there.events(topic).length >= 60, 15_000, "every event on both");
    await settle();
    expect(eventIds(here, topic)).toEqual(committed);
    expect(eventIds(there, topic)).toEqual(committed);
    expect(a.hub.outagesCaughtUp).toBeGreaterThanOrEqual(1);
  });
});
