import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { authorizeDelivery } from "@/core/realtime/authorize-delivery";
import {
  Client,
  committedMessageEvents,
  eventIds,
  postMessage,
  settle,
  startInstance,
  terminateBackends,
  until,
  writeSteadily,
  type TestInstance,
} from "./support";

/**
 * The feed across outages (issue #13, item 1): every event a subscriber may see arrives
 * exactly once and in order, or the subscriber is told `resync_required` and gets the rest
 * by subscribing again with `since`. The expected events are read back from
 * app.change_events: whatever committed, including writes that failed on the client's side
 * but committed anyway.
 */

// Deliveries fail when the database does: the authorisation query is the first thing a
// delivery runs, so failing it here is a delivery failing mid-outage. Passes through otherwise.
vi.mock("@/core/realtime/authorize-delivery", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/core/realtime/authorize-delivery")>();
  return { ...real, authorizeDelivery: vi.fn(real.authorizeDelivery) };
});
const authorize = vi.mocked(authorizeDelivery);
const actual = await vi.importActual<typeof import("@/core/realtime/authorize-delivery")>("@/core/realtime/authorize-delivery");
const dbDown = () => Promise.reject(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }));


describe.each(engines)("realtime feed across outages on %s", (engine) => {
  let t: TestDatabase;
  let rt: TestInstance;
  let provider: TestUser;
  let nurse: TestUser;
  const open: Client[] = [];
  const extra: TestInstance[] = [];

  const newPatient = async () => {
    const id = await createPatient({ createdBy: provider.id });
    await addToCareTeam(id, nurse.id, "nurse");
    return { id, topic: `patient:${id}:messages` };
  };
  const connect = async (u: TestUser, instance = rt) => {
    const c = await Client.connect(instance.url, u.accessToken);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    rt = await startInstance(t.db, { deliveryRetryMs: 1500 });
    provider = await createUser("provider");
    nurse = await createUser("provider");
  });
  afterEach(() => {
    authorize.mockReset(); // back to the real function
  });
  afterAll(async () => {
    for (const c of open) c.close();
    for (const i of extra) await i.stop();
    await rt?.stop();
    await t?.drop();
  });

  it("replays in id order, also across ids of different lengths (9 before 10)", async () => {
    // Runs first: this file's database is new, so its event ids are still small.
    const { rows } = await serviceQuery((tx) => sql<{ id: string | null }>`select max(id)::text as id from app.change_events`.execute(tx));
    const newest = Number(rows[0].id ?? 0);
    const missed = 10 ** String(newest + 2).length - newest + 2; // enough to cross the next power of ten
    expect(missed).toBeLessThan(120);
    const p = await newPatient();
    const first = await connect(nurse);
    expect((await first.subscribe(p.topic)).type).toBe("subscribed");
    const seen = await postMessage(p.id, provider.id, "seen");
    const last = await first.waitFor((f) => f.record?.id === seen.id);
    first.close();
    for (let i = 0; i < missed; i++) await postMessage(p.id, provider.id, `missed ${i}`);
    const committed = await committedMessageEvents(p.id);
    expect(String(committed.at(-1)).length).toBeGreaterThan(String(last.event_id).length);

    const again = await connect(nurse);
    expect((await again.subscribe(p.topic, last.event_id)).type).toBe("subscribed");
    await until(() => again.events(p.topic).length >= missed, 10_000, "the replay");
    await settle();
    expect(eventIds(again, p.topic)).toEqual(committed.slice(1));
  });

  it(
    engine === "postgresql"
      ? "delivers every event exactly once, in order, when the listener's connection is killed mid-stream (pg_terminate_backend)"
      : "delivers every event exactly once, in order, when the listener's subscription drops mid-stream (simulated: PGlite has no connection to kill)",
    async () => {
      const p = await newPatient();
      const c = await connect(nurse);
      const also = await connect(provider);
      expect((await c.subscribe(p.topic)).type).toBe("subscribed");
      expect((await also.subscribe(p.topic)).type).toBe("subscribed");
      const outagesBefore = rt.hub.outagesCaughtUp;

      await writeSteadily(p.id, provider.id, 60, 10, async (i) => {
        if (i !== 20) return;
        if (engine === "postgresql") {
          // the real thing: the server ends the LISTEN connection; it reconnects after 250 ms
          expect(await terminateBackends(t.db, "listeners")).toBe(1);
        } else {
          // PGlite's listener is in-process and cannot drop: unlisten for 300 ms, then
          // listen again, as a reconnect would (ChangeListener.restart)
          void rt.hub.restartListener(300);
        }
      });

      const committed = await committedMessageEvents(p.id);
      expect(committed).toHaveLength(60);
      await until(() => rt.hub.outagesCaughtUp > outagesBefore, 10_000, "catch-up");
      await until(() => c.events(p.topic).length >= committed.length && also.events(p.topic).length >= committed.length, 10_000, "all events");
      await settle();
      // exactly once, in order, on every socket
      expect(eventIds(c, p.topic)).toEqual(committed);
      expect(eventIds(also, p.topic)).toEqual(committed);
      // and the outage did make the listener miss notifications: the catch-up brought some
      expect(rt.hub.lastOutage!.recovered).toBeGreaterThan(0);
      expect(rt.hub.stats.resyncsRequired).toBe(0);
    },
  );

  it("retries a delivery that fails while the database is going away; the patient's later events wait behind it", async () => {
    const p = await newPatient();
    const c = await connect(nurse);
    expect((await c.subscribe(p.topic)).type).toBe("subscribed");
    const failuresBefore = rt.hub.stats.deliveryFailures;
    authorize.mockImplementationOnce(dbDown).mockImplementationOnce(dbDown).mockImplementationOnce(dbDown);

    for (let i = 0; i < 5; i++) await postMessage(p.id, provider.id, `during ${i}`);
    const committed = await committedMessageEvents(p.id);
    await until(() => c.events(p.topic).length >= 5, 10_000, "five events");
    await settle();
    expect(eventIds(c, p.topic)).toEqual(committed);
    expect(rt.hub.stats.deliveryFailures - failuresBefore).toBe(3);
    expect(c.frames.some((f) => f.code === "resync_required")).toBe(false);
  });

  it("tells the subscriber resync_required when a delivery keeps failing, and a resubscribe with since replays it", async () => {
    const p = await newPatient();
    const c = await connect(nurse);
    expect((await c.subscribe(p.topic)).type).toBe("subscribed");
    const before = await postMessage(p.id, provider.id, "before");
    const seen = await c.waitFor((f) => f.record?.id === before.id);

    authorize.mockImplementation(dbDown);
    const lost = await postMessage(p.id, provider.id, "while deliveries fail");
    const told = await c.waitFor((f) => f.type === "error" && f.code === "resync_required", 10_000);
    expect(told.topic).toBe(p.topic);
    authorize.mockReset(); // the database is back

    // The subscription has ended: nothing more arrives on it until the client comes back.
    expect(c.events(p.topic).map((f) => f.record?.id)).toEqual([before.id]);
    expect((await c.subscribe(p.topic, seen.event_id)).type).toBe("subscribed");
    await c.waitFor((f) => f.record?.id === lost.id);
    const after = await postMessage(p.id, provider.id, "after");
    await c.waitFor((f) => f.record?.id === after.id);
    await settle();
    expect(eventIds(c, p.topic)).toEqual(await committedMessageEvents(p.id));
  });

  it("tells every subscriber resync_required when more was missed than a catch-up delivers, and since fills the gap", async () => {
    const small = await startInstance(t.db, { maxCatchUpEvents: 5 });
    extra.push(small);
    const p = await newPatient();
    const c = await connect(nurse, small);
    expect((await c.subscribe(p.topic)).type).toBe("subscribed");
    const first = await postMessage(p.id, provider.id, "first");
    const seen = await c.waitFor((f) => f.record?.id === first.id);

    const restarting = small.hub.restartListener(1500);
    for (let i = 0; i < 10; i++) await postMessage(p.id, provider.id, `missed ${i}`);
    expect(small.hub.outagesCaughtUp).toBe(0); // all ten were written while it was deaf
    await restarting;
    await c.waitFor((f) => f.type === "error" && f.code === "resync_required", 10_000);
    expect(small.hub.lastOutage?.resynced).toBe(true);

    expect((await c.subscribe(p.topic, seen.event_id)).type).toBe("subscribed");
    const committed = await committedMessageEvents(p.id);
    await until(() => c.events(p.topic).length >= committed.length, 10_000, "the replay");
    await settle();
    expect(eventIds(c, p.topic)).toEqual(committed);
  });

  it.skipIf(engine !== "postgresql")(
    "delivers every event exactly once, in order, when the database drops every connection mid-stream (pools and listener)",
    async () => {
      const p = await newPatient();
      const c = await connect(nurse);
      expect((await c.subscribe(p.topic)).type).toBe("subscribed");
      const outagesBefore = rt.hub.outagesCaughtUp;
      const failuresBefore = rt.hub.stats.deliveryFailures;

      await writeSteadily(p.id, provider.id, 60, 10, async (i) => {
        if (i !== 10 && i !== 50) return;
        // Catch a delivery mid-transaction (its connection busy in pg_sleep), then take every
        // connection away under it: that delivery fails for real and must be retried.
        let inFlight!: () => void;
        const reached = new Promise<void>((r) => (inFlight = r));
        authorize.mockImplementationOnce(async (tx, ...rest) => {
          inFlight();
          await sql`select pg_sleep(1)`.execute(tx);
          return actual.authorizeDelivery(tx, ...rest);
        });
        await postMessage(p.id, provider.id, `caught ${i}`);
        await reached;
        expect(await terminateBackends(t.db, "all")).toBeGreaterThan(0);
      });

      const committed = await committedMessageEvents(p.id);
      expect(committed.length).toBeGreaterThan(40);
      await until(() => rt.hub.outagesCaughtUp >= outagesBefore + 2, 15_000, "two catch-ups");
      await until(() => c.events(p.topic).length >= committed.length, 15_000, "all events");
      await settle();
      expect(eventIds(c, p.topic)).toEqual(committed);
      expect(rt.hub.stats.deliveryFailures - failuresBefore).toBeGreaterThanOrEqual(2);
    },
  );
});
