/**
 * Telehealth calls (issue #22): who may join (the same functions as RLS, refused as
 * not_found), the waiting room, the provider's powers, signaling relayed over
 * /realtime/v1, and the ended call recorded as a telehealth visit — on both engines.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as callRoute from "@/app/api/v1/appointments/[id]/call/route";
import { withUser } from "@/core/db/with-user";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { call } from "../support/http";
import { removeFromCareTeam, serviceQuery, type TestUser } from "../support/seed";
import { Client, settle, startInstance, type Frame, type TestInstance } from "../realtime/support";
import { bookTelehealth, seedCall, type CallWorld } from "./support";

type SignalFrame = Frame & { kind?: string; from?: string; from_role?: string; to?: string; data?: Record<string, unknown>; role?: string };

describe.each(engines)("telehealth calls on %s", (engine) => {
  let t: TestDatabase;
  let rt: TestInstance;
  let w: CallWorld;
  const open: Client[] = [];
  const topic = () => `appointment:${w.appointmentId}:call`;
  const connect = async (u: TestUser) => {
    const c = await Client.connect(rt.url, u.accessToken);
    open.push(c);
    return c;
  };
  const get = (u: TestUser, id = w.appointmentId) => call(callRoute.GET, { token: u.accessToken, params: { id } });
  const post = (u: TestUser, body: unknown, id = w.appointmentId) => call(callRoute.POST, { token: u.accessToken, params: { id }, body });
  const signals = (c: Client, kind: string) => (c.frames as SignalFrame[]).filter((f) => f.type === "signal" && f.kind === kind);

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    rt = await startInstance(t.db);
    w = await seedCall();
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await rt?.stop();
    await t?.drop();
  });

  it("the call state: the patient and the provider may; a second patient, an off-team provider and a team nurse not added get not_found", async () => {
    const p = await get(w.provider);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ role: "provider", call: null, topic: topic(), user_id: w.provider.id });
    expect((await get(w.patient)).body.role).toBe("patient");
    for (const u of [w.secondPatient, w.offTeam, w.nurse]) {
      const r = await get(u);
      expect(r.status, u.email).toBe(404);
      expect(r.body.error.code).toBe("not_found");
    }
    // an office appointment has no call
    const office = await serviceQuery(async (tx) =>
      (await sql<{ id: string }>`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, requested_by)
        values (${w.patientId}, ${w.provider.id}, now() + interval '2 days', now() + interval '2 days 20 minutes', 'confirmed', ${w.provider.id}) returning id`.execute(tx)).rows[0].id,
    );
    expect((await get(w.provider, office)).status).toBe(404);
  });

  it("only the provider starts; the patient and others cannot (not_found)", async () => {
    expect((await post(w.patient, { action: "start" })).status).toBe(404);
    expect((await post(w.offTeam, { action: "start" })).status).toBe(404);
    expect((await post(w.provider, { action: "nope" })).status).toBe(400);
  });

  it("subscribing: a second patient and an off-team provider get not_found; the patient and the provider are subscribed", async () => {
    for (const u of [w.secondPatient, w.offTeam, w.nurse]) {
      const c = await connect(u);
      c.send({ type: "subscribe", topic: topic() });
      const f = await c.waitFor((x) => x.type === "error" || x.type === "subscribed");
      expect(f, u.email).toMatchObject({ type: "error", code: "not_found", topic: topic() });
      // and a signal without a subscription goes nowhere
      c.send({ type: "signal", topic: topic(), kind: "join" });
      await c.waitFor((x) => x.code === "not_subscribed");
    }
  });

  it("waiting room, admission, relay of offer/answer/ice and state, end → a telehealth visit on the chart", async () => {
    const doc = await connect(w.provider);
    const pat = await connect(w.patient);
    doc.send({ type: "subscribe", topic: topic() });
    pat.send({ type: "subscribe", topic: topic() });
    expect(await doc.waitFor((f) => f.type === "subscribed")).toMatchObject({ role: "provider" });
    expect(await pat.waitFor((f) => f.type === "subscribed")).toMatchObject({ role: "patient" });

    // before the start: nothing to join
    pat.send({ type: "signal", topic: topic(), kind: "join", data: { audio: true } });
    await pat.waitFor((f) => f.code === "call_not_started");

    const started = await post(w.provider, { action: "start" });
    expect(started.status).toBe(200);
    expect(started.body.call).toMatchObject({ ended_at: null, joined: [w.provider.id] });
    await pat.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "started");

    // waiting: the patient may announce itself, not negotiate media
    pat.send({ type: "signal", topic: topic(), kind: "join", data: { audio: true, video: true } });
    const join = (await doc.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "join")) as SignalFrame;
    expect(join).toMatchObject({ from: w.patient.id, from_role: "patient", data: { audio: true, video: true } });
    pat.send({ type: "signal", topic: topic(), kind: "offer", to: w.provider.id, data: { sdp: "v=0 too early" } });
    await pat.waitFor((f) => f.code === "waiting_for_admission");
    // only the provider admits
    pat.send({ type: "signal", topic: topic(), kind: "admit", to: w.patient.id });
    await pat.waitFor((f) => f.code === "waiting_for_admission" && (f as SignalFrame & { kind?: string }).kind === "admit");

    doc.send({ type: "signal", topic: topic(), kind: "admit", to: w.patient.id });
    await pat.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "admit");

    // an SDP larger than pg_notify's 8000-byte payload limit crosses intact (the row carries it, NOTIFY the id)
    const sdp = "v=0\r\n" + "a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n".repeat(200);
    expect(sdp.length).toBeGreaterThan(8000);
    doc.send({ type: "signal", topic: topic(), kind: "offer", to: w.patient.id, data: { type: "offer", sdp } });
    const offer = (await pat.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "offer")) as SignalFrame;
    expect(offer.data?.sdp).toBe(sdp);
    pat.send({ type: "signal", topic: topic(), kind: "answer", to: w.provider.id, data: { type: "answer", sdp: "v=0 answer" } });
    for (let i = 0; i < 5; i++) pat.send({ type: "signal", topic: topic(), kind: "ice", to: w.provider.id, data: { candidate: `candidate:${i}`, sdpMid: "0" } });
    pat.send({ type: "signal", topic: topic(), kind: "state", data: { audio: false, video: true } });
    await doc.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "state");
    // in the order sent
    expect(signals(doc, "ice").map((f) => f.data?.candidate)).toEqual([0, 1, 2, 3, 4].map((i) => `candidate:${i}`));
    expect(signals(doc, "answer")).toHaveLength(1);
    expect(signals(doc, "state")[0]).toMatchObject({ from: w.patient.id, data: { audio: false } });
    // nobody hears their own frames
    expect(signals(pat, "ice")).toHaveLength(0);

    // the off-team provider cannot send into it even by frame
    const stranger = await connect(w.offTeam);
    stranger.send({ type: "signal", topic: topic(), kind: "offer", data: { sdp: "x" } });
    await stranger.waitFor((f) => f.code === "not_subscribed");

    const ended = await post(w.provider, { action: "end" });
    expect(ended.status).toBe(200);
    expect(ended.body.call.ended_at).not.toBeNull();
    expect(ended.body.call.visit_id).toBeTruthy();
    await pat.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "ended");
    // a retried end (its first answer lost) answers the same ended call, and records no second visit
    const again = await post(w.provider, { action: "end" });
    expect(again.status).toBe(200);
    expect(again.body.call).toMatchObject({ id: ended.body.call.id, visit_id: ended.body.call.visit_id, ended_at: ended.body.call.ended_at });
    const visits = await serviceQuery(async (tx) =>
      (await sql<{ n: number }>`select count(*)::int as n from public.visits where patient_id = ${w.patientId} and visit_type = 'telehealth'`.execute(tx)).rows[0].n);
    expect(visits).toBe(1);
    const visit = await serviceQuery(async (tx) =>
      (await sql<{ visit_type: string; notes: string; provider_id: string; chief_complaint: string }>`
        select visit_type, notes, provider_id, chief_complaint from public.visits where id = ${ended.body.call.visit_id}`.execute(tx)).rows[0],
    );
    expect(visit).toMatchObject({ visit_type: "telehealth", provider_id: w.provider.id, chief_complaint: "Follow-up on blood pressure" });
    expect(visit.notes).toContain("Dr. Video Attending");
    expect(visit.notes).toContain("Vera Video");
    expect(visit.notes).toContain("No audio or video was recorded");
    const status = await serviceQuery(async (tx) => (await sql<{ status: string }>`select status from public.appointments where id = ${w.appointmentId}`.execute(tx)).rows[0].status);
    expect(status).toBe("completed");
    // the audit trail has the call's start and end, and the visit
    const audit = await serviceQuery(async (tx) =>
      (await sql<{ action: string; table_name: string }>`select action, table_name from public.audit_log where patient_id = ${w.patientId} and table_name in ('telehealth_calls', 'visits') order by id`.execute(tx)).rows,
    );
    expect(audit.map((a) => `${a.action} ${a.table_name}`)).toEqual(expect.arrayContaining(["insert telehealth_calls", "update telehealth_calls", "insert visits"]));
    // the names of a call are its participants' only: any other user id names nobody
    const named = await withUser(w.patient.session, async (tx) =>
      (await sql<{ user_id: string }>`select user_id::text from app.call_participant_names(${w.appointmentId}::uuid, ${[w.provider.id, w.offTeam.id, w.secondPatient.id]}::uuid[])`.execute(tx)).rows.map((r) => r.user_id));
    expect(named).toEqual([w.provider.id]);
    // after the end: no more frames
    pat.send({ type: "signal", topic: topic(), kind: "state", data: {} });
    await pat.waitFor((f) => f.code === "call_not_started");
  });

  it("a care-team member the provider adds may join; one not on the team cannot be added", async () => {
    const appt = await bookTelehealth(w.patientId, w.provider.id, 0, 60);
    expect((await get(w.nurse, appt)).status).toBe(404);
    expect((await post(w.provider, { action: "start" }, appt)).status).toBe(200);
    expect((await post(w.provider, { action: "add_member", user_id: w.offTeam.id }, appt)).status).toBe(404);
    expect((await post(w.nurse, { action: "add_member", user_id: w.nurse.id }, appt)).status).toBe(404);
    const added = await post(w.provider, { action: "add_member", user_id: w.nurse.id }, appt);
    expect(added.status).toBe(200);
    expect(added.body.call.members).toEqual([w.nurse.id]);
    expect((await get(w.nurse, appt)).body.role).toBe("member");
    const c = await connect(w.nurse);
    c.send({ type: "subscribe", topic: `appointment:${appt}:call` });
    expect(await c.waitFor((f) => f.type === "subscribed" || f.type === "error")).toMatchObject({ type: "subscribed", role: "member" });

    // taken off the care team mid-call: the next frame is not relayed to them, and they are told not_found
    const doc = await connect(w.provider);
    doc.send({ type: "subscribe", topic: `appointment:${appt}:call` });
    await doc.waitFor((f) => f.type === "subscribed");
    doc.send({ type: "signal", topic: `appointment:${appt}:call`, kind: "state", data: { audio: true } });
    await c.waitFor((f) => f.type === "signal" && (f as SignalFrame).kind === "state");
    await removeFromCareTeam(w.patientId, w.nurse.id);
    doc.send({ type: "signal", topic: `appointment:${appt}:call`, kind: "state", data: { audio: false } });
    await c.waitFor((f) => f.type === "error" && f.code === "not_found");
    await settle(100);
    expect(signals(c, "state")).toHaveLength(1);
    expect((await get(w.nurse, appt)).status).toBe(404);
  });
});
