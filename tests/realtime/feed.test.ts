import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, removeFromCareTeam, serviceQuery, type TestUser } from "../support/seed";
import { revokeSession } from "@/core/auth/revoke-session";
import { withUser } from "@/core/db/with-user";
import { sql } from "kysely";
import { CLOSE_SESSION_ENDED } from "@/core/realtime/hub";
import { call } from "../support/http";
import * as visitsRoute from "@/app/api/v1/patients/[id]/visits/route";
import { Client, settle, startInstance, type TestInstance } from "./support";

async function postMessage(patientId: string, senderId: string, message = "Please review the latest labs.") {
  return serviceQuery((tx) =>
    tx.insertInto("care_messages").values({ patient_id: patientId, sender_id: senderId, message, priority: "urgent" }).returning("id").executeTakeFirstOrThrow(),
  );
}

async function addVitals(patientId: string, recordedBy: string, values: number[]) {
  const base = Date.now() - 60_000;
  await serviceQuery((tx) =>
    tx
      .insertInto("vitals")
      .values(values.map((v, i) => ({ patient_id: patientId, recorded_by: recordedBy, metric: "heart_rate", value: v, unit: "bpm", recorded_at: new Date(base + i * 1000) })))
      .execute(),
  );
}

async function addVisit(patientId: string, providerId: string) {
  return serviceQuery((tx) =>
    tx
      .insertInto("visits")
      .values({ patient_id: patientId, provider_id: providerId, visit_date: new Date(), chief_complaint: "Cough", notes: "Rest and fluids; review in a week." })
      .returning("id")
      .executeTakeFirstOrThrow(),
  );
}

describe.each(engines)("realtime feed on %s", (engine) => {
  let t: TestDatabase;
  let rt: TestInstance;
  let attending: TestUser;
  let nurse: TestUser;
  let outsider: TestUser;
  let patientUser: TestUser;
  let patientId: string;
  let otherPatientId: string;
  const open: Client[] = [];
  const connect = async (u: TestUser) => {
    const c = await Client.connect(rt.url, u.accessToken);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    rt = await startInstance(t.db, { maxSubscriptions: 5, maxPayload: 4096 });
    attending = await createUser("provider");
    nurse = await createUser("provider");
    outsider = await createUser("provider");
    patientUser = await createUser("patient");
    patientId = await createPatient({ createdBy: attending.id, userId: patientUser.id });
    otherPatientId = await createPatient({ createdBy: outsider.id });
    await addToCareTeam(patientId, nurse.id, "nurse");
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await rt?.stop();
    await t?.drop();
  });

  it("refuses upgrades without a valid session, and cookie upgrades from another origin", async () => {
    expect(await Client.refused(rt.url, null)).toBe(401);
    expect(await Client.refused(rt.url, "not-a-token")).toBe(401);
    const cross = await Client.refused(rt.url.replace(/\?.*$/, ""), null, { cookie: `cb_access=${attending.accessToken}`, origin: "https://evil.example" });
    expect(cross).toBe(401);
    const sameOrigin = new URL(rt.url);
    const ok = await Client.connect(rt.url, attending.accessToken, { origin: `http://${sameOrigin.host}` });
    open.push(ok);
    expect((await ok.subscribe(`patient:${patientId}:chart`)).type).toBe("subscribed");
    // The web UI's way in: the HttpOnly session cookie, from our own origin.
    const bare = rt.url.replace(/\?.*$/, "");
    const WebSocket = (await import("ws")).default;
    const viaCookie = new WebSocket(bare, { headers: { cookie: `cb_access=${encodeURIComponent(attending.accessToken)}`, origin: `http://${sameOrigin.host}` } });
    await new Promise((resolve, reject) => viaCookie.once("open", resolve).once("unexpected-response", () => reject(new Error("refused"))));
    viaCookie.close();
  });

  it("refuses every topic of a patient to a provider off the care team, and they never receive its events", async () => {
    const spy = await connect(outsider);
    const control = await connect(attending);
    for (const kind of ["messages", "vitals", "chart"]) {
      const answer = await spy.subscribe(`patient:${patientId}:${kind}`);
      expect(answer).toMatchObject({ type: "error", code: "not_found" });
      expect((await control.subscribe(`patient:${patientId}:${kind}`)).type).toBe("subscribed");
    }
    const m = await postMessage(patientId, nurse.id);
    await addVitals(patientId, nurse.id, [71, 72]);
    const v = await addVisit(patientId, attending.id);
    await control.waitFor((f) => f.type === "event" && f.record?.id === m.id);
    await control.waitFor((f) => f.type === "event" && f.topic?.endsWith(":vitals") === true);
    await control.waitFor((f) => f.type === "event" && f.record?.id === v.id);
    await settle();
    expect(spy.events()).toEqual([]);
  });

  it("stops delivering to a provider at the next event once they leave the care team", async () => {
    const member = await createUser("provider");
    await addToCareTeam(patientId, member.id, "nurse");
    const leaver = await connect(member);
    const control = await connect(attending);
    for (const kind of ["messages", "vitals", "chart"]) {
      expect((await leaver.subscribe(`patient:${patientId}:${kind}`)).type).toBe("subscribed");
      expect((await control.subscribe(`patient:${patientId}:${kind}`)).type).toBe("subscribed");
    }
    const first = await postMessage(patientId, nurse.id, "before removal");
    await leaver.waitFor((f) => f.type === "event" && f.record?.id === first.id);

    await removeFromCareTeam(patientId, member.id);
    const changesBefore = rt.hub.stats.changes;
    const queriesBefore = rt.hub.stats.authQueries;
    const second = await postMessage(patientId, nurse.id, "after removal");
    await addVitals(patientId, nurse.id, [80]);
    const visit = await addVisit(patientId, attending.id);
    await control.waitFor((f) => f.type === "event" && f.record?.id === second.id);
    await control.waitFor((f) => f.type === "event" && f.record?.id === visit.id);
    await settle();
    expect(leaver.events().map((f) => f.record?.id)).toEqual([first.id]);
    // One authorisation query per change, however many subscribers (and topics) it reaches.
    expect(rt.hub.stats.changes - changesBefore).toBe(3);
    expect(rt.hub.stats.authQueries - queriesBefore).toBe(3);
  });

  it("gives a patient only their own events, never care messages, and their visit notes as the API does", async () => {
    const me = await connect(patientUser);
    const staff = await connect(attending);
    expect(await me.subscribe(`patient:${patientId}:messages`)).toMatchObject({ type: "error", code: "not_found" });
    expect(await me.subscribe(`patient:${otherPatientId}:chart`)).toMatchObject({ type: "error", code: "not_found" });
    expect(await me.subscribe(`patient:${otherPatientId}:vitals`)).toMatchObject({ type: "error", code: "not_found" });
    expect((await me.subscribe(`patient:${patientId}:chart`)).type).toBe("subscribed");
    expect((await me.subscribe(`patient:${patientId}:vitals`)).type).toBe("subscribed");
    expect((await staff.subscribe(`patient:${patientId}:chart`)).type).toBe("subscribed");
    expect((await staff.subscribe(`patient:${patientId}:messages`)).type).toBe("subscribed");

    const msg = await postMessage(patientId, nurse.id, "staff only");
    await staff.waitFor((f) => f.record?.id === msg.id);
    const visit = await addVisit(patientId, attending.id);
    const mine = await me.waitFor((f) => f.type === "event" && f.record?.id === visit.id);
    const theirs = await staff.waitFor((f) => f.type === "event" && f.record?.id === visit.id);
    // Open notes: the patient reads a visit's notes on the feed exactly as over HTTP (docs/realtime.md).
    const api = await call(visitsRoute.GET, { token: patientUser.accessToken, params: { id: patientId } });
    expect(api.status).toBe(200);
    const overHttp = api.body.data.find((v: { id: string }) => v.id === visit.id);
    expect(overHttp.notes).toBe("Rest and fluids; review in a week.");
    expect(mine.record).toHaveProperty("notes", overHttp.notes);
    expect(theirs.record).toHaveProperty("notes", overHttp.notes);
    await addVitals(patientId, nurse.id, [66, 67, 68]);
    const vit = await me.waitFor((f) => f.type === "event" && f.topic === `patient:${patientId}:vitals`);
    expect(vit.record).toMatchObject({ patient_id: patientId, count: 3 });
    // Another patient's changes never reach this patient.
    await addVisit(otherPatientId, outsider.id);
    await postMessage(otherPatientId, outsider.id);
    await settle();
    expect(me.events().every((f) => f.topic?.startsWith(`patient:${patientId}:`))).toBe(true);
    expect(me.events().some((f) => f.table === "care_messages")).toBe(false);
  });

  it("replays what a client missed when it reconnects with its last event id", async () => {
    const topic = `patient:${patientId}:messages`;
    const first = await connect(nurse);
    await first.subscribe(topic);
    const seen = await postMessage(patientId, attending.id, "seen live");
    const live = await first.waitFor((f) => f.record?.id === seen.id);
    first.close();
    const missed1 = await postMessage(patientId, attending.id, "missed one");
    const missed2 = await postMessage(patientId, attending.id, "missed two");
    await addVitals(patientId, nurse.id, [90]); // another topic: not replayed here

    const again = await connect(nurse);
    expect((await again.subscribe(topic, live.event_id)).type).toBe("subscribed");
    await again.waitFor((f) => f.record?.id === missed2.id);
    const after = await postMessage(patientId, attending.id, "live again");
    await again.waitFor((f) => f.record?.id === after.id);
    expect(again.events(topic).map((f) => f.record?.id)).toEqual([missed1.id, missed2.id, after.id]);
  });

  it("refuses a replay from before the pruning horizon instead of leaving a silent gap", async () => {
    await serviceQuery(async (tx) => {
      await tx.updateTable("app.change_events_horizon").set({ pruned_through: 1_000_000_000 }).execute();
    });
    const c = await connect(nurse);
    c.send({ type: "subscribe", topic: `patient:${patientId}:messages`, since: 1 });
    expect(await c.waitFor((f) => f.type === "error")).toMatchObject({ code: "replay_unavailable" });
    await serviceQuery(async (tx) => {
      await tx.updateTable("app.change_events_horizon").set({ pruned_through: 0 }).execute();
    });
  });

  it("answers malformed messages with an error and keeps the socket usable", async () => {
    const c = await connect(attending);
    c.send("this is not json");
    c.send({ type: "shout", topic: "x" });
    c.send({ type: "subscribe" });
    c.send({ type: "subscribe", topic: "patient:not-a-uuid:chart" });
    c.send({ type: "subscribe", topic: `patient:${patientId}:billing` });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.waitFor(() => c.frames.filter((f) => f.type === "error").length >= 6);
    expect(c.frames.filter((f) => f.type === "error").map((f) => f.code)).toEqual([
      "invalid_message", "invalid_message", "invalid_message", "invalid_topic", "invalid_topic", "invalid_message",
    ]);
    c.send({ type: "ping" });
    await c.waitFor((f) => f.type === "pong");
    expect((await c.subscribe(`patient:${patientId}:chart`)).type).toBe("subscribed");
  });

  it("limits subscriptions per connection and closes on oversized frames", async () => {
    const c = await connect(attending);
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => createPatient({ createdBy: attending.id })));
    for (const id of ids) expect((await c.subscribe(`patient:${id}:chart`)).type).toBe("subscribed");
    expect(await c.subscribe(`patient:${patientId}:vitals`)).toMatchObject({ type: "error", code: "too_many_subscriptions" });
    c.send({ type: "ping", pad: "x".repeat(10_000) });
    expect(await c.waitClosed()).toBe(1009);
  });

  it("closes the socket when its session is revoked", async () => {
    const u = await createUser("provider");
    await addToCareTeam(patientId, u.id, "nurse");
    const c = await connect(u);
    await c.subscribe(`patient:${patientId}:messages`);
    await revokeSession(u.session.sessionId, "test");
    await postMessage(patientId, nurse.id, "after revocation");
    expect(await c.waitClosed()).toBe(CLOSE_SESSION_ENDED);
    expect(c.events()).toEqual([]);

    const idle = await connect(nurse);
    const session2 = await createUser("provider");
    const c2 = await connect(session2);
    await revokeSession(session2.session.sessionId, "test");
    await rt.hub.checkSessions();
    expect(await c2.waitClosed()).toBe(CLOSE_SESSION_ENDED);
    expect(idle.closeCode).toBeUndefined();
  });

  it("keeps the change log service-only: no application role reads or writes it", async () => {
    for (const u of [attending, patientUser]) {
      await expect(withUser(u.session, (tx) => sql`select id from app.change_events limit 1`.execute(tx))).rejects.toMatchObject({ code: "42501" });
      await expect(
        withUser(u.session, (tx) => sql`update app.change_events_horizon set pruned_through = 0`.execute(tx)),
      ).rejects.toMatchObject({ code: "42501" });
    }
  });
});
