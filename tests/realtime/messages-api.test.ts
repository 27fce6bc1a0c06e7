import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { GET, POST } from "@/app/api/v1/patients/[id]/messages/route";
import { withUser } from "@/core/db/with-user";
import { unreadCounts } from "@/core/messages/list-messages";

const headers = (u: TestUser) => ({ authorization: `Bearer ${u.accessToken}`, "content-type": "application/json" });
const params = (id: string) => ({ params: Promise.resolve({ id }) });

async function post(u: TestUser, patientId: string, body: unknown) {
  const res = await POST(new Request(`http://localhost/api/v1/patients/${patientId}/messages`, { method: "POST", headers: headers(u), body: JSON.stringify(body) }), params(patientId));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function list(u: TestUser, patientId: string) {
  const res = await GET(new Request(`http://localhost/api/v1/patients/${patientId}/messages`, { headers: headers(u) }), params(patientId));
  return { status: res.status, body: (await res.json()) as { data: { id: string; message: string; priority: string; sender_name: string | null }[]; unread_before: number } };
}

describe.each(engines)("care-team messages API on %s", (engine) => {
  let t: TestDatabase;
  let attending: TestUser;
  let nurse: TestUser;
  let outsider: TestUser;
  let patient: TestUser;
  let patientId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    attending = await createUser("provider");
    nurse = await createUser("provider");
    outsider = await createUser("provider");
    patient = await createUser("patient");
    patientId = await createPatient({ createdBy: attending.id, userId: patient.id });
    await addToCareTeam(patientId, nurse.id, "nurse");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("lets the care team post and read the channel, newest first, audited", async () => {
    const a = await post(nurse, patientId, { message: "BP trending up overnight", priority: "urgent" });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ patient_id: patientId, priority: "urgent", sender_id: nurse.id });
    const b = await post(attending, patientId, { message: "Noted, will adjust" });
    expect(b.body).toMatchObject({ priority: "normal" });
    const r = await list(attending, patientId);
    expect(r.status).toBe(200);
    expect(r.body.data.map((m) => m.id)).toEqual([b.body.id, a.body.id]);
    expect(r.body.data[1].sender_name).toBeTruthy();
    const audit = await serviceQuery((tx) =>
      tx.selectFrom("audit_log").select(["actor_id", "patient_id"]).where("table_name", "=", "messages").where("action", "=", "read").execute(),
    );
    expect(audit).toContainEqual({ actor_id: attending.id, patient_id: patientId });
  });

  it("hides the channel from providers off the team (404) and from the patient (403)", async () => {
    expect((await list(outsider, patientId)).status).toBe(404);
    expect((await post(outsider, patientId, { message: "hello" })).status).toBe(404);
    expect((await list(patient, patientId)).status).toBe(403);
    expect((await post(patient, patientId, { message: "hello" })).status).toBe(403);
    expect((await post(nurse, "00000000-0000-4000-8000-000000000000", { message: "hello" })).status).toBe(404);
  });

  it("validates the body", async () => {
    expect((await post(nurse, patientId, { message: "   " })).status).toBe(422);
    expect((await post(nurse, patientId, { message: "x", priority: "critical" })).status).toBe(422);
    expect((await post(nurse, patientId, { message: 5 })).status).toBe(400);
  });

  it("counts unread messages per patient for the caller and clears them on reading", async () => {
    const second = await createPatient({ createdBy: attending.id });
    await addToCareTeam(second, nurse.id, "nurse");
    await list(nurse, patientId); // nurse catches up
    await post(attending, patientId, { message: "one" });
    await post(attending, patientId, { message: "two" });
    await post(attending, second, { message: "three" });
    await post(nurse, second, { message: "own messages are never unread" });
    const counts = await withUser(nurse.session, (tx) => unreadCounts(tx, [patientId, second]));
    expect(counts).toEqual({ [patientId]: 2, [second]: 0 });
    // The attending's own messages do not count; the nurse's do.
    const mine = await withUser(attending.session, (tx) => unreadCounts(tx, [patientId, second]));
    expect(mine[second]).toBe(1);
    // Someone off the team learns nothing.
    expect(await withUser(outsider.session, (tx) => unreadCounts(tx, [patientId]))).toEqual({ [patientId]: 0 });
    const r = await list(nurse, patientId);
    expect(r.body.unread_before).toBe(2);
    expect(await withUser(nurse.session, (tx) => unreadCounts(tx, [patientId]))).toEqual({ [patientId]: 0 });
  });
});
