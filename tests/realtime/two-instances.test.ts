import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PG_URL, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery } from "../support/seed";
import { openDatabase, type Database } from "@/core/db/engine";
import { Client, startInstance, type TestInstance } from "./support";

/**
 * Two instances on one PostgreSQL database: each has its own LISTEN connection (its own
 * Database handle) and its own WebSocket server on its own port. A change committed
 * anywhere reaches the subscribers of both.
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
  afterAll(async () => {
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
});
