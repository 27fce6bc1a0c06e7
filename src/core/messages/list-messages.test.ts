import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../../../tests/support/seed";
import { withUser } from "../db/with-user";
import { listPatients } from "../clinical/patients";
import { listMessages, unreadCounts } from "./list-messages";
import { ZListMessagesQuery } from "./messages.types";

const page = (q: Record<string, unknown>) => ZListMessagesQuery.parse(q);

describe.each(engines)("listMessages paging and read markers on %s", (engine) => {
  let t: TestDatabase;
  let attending: TestUser;
  let nurse: TestUser;
  let patientId: string;
  let otherPatientId: string;
  const ids: string[] = []; // oldest first

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    attending = await createUser("provider");
    nurse = await createUser("provider");
    patientId = await createPatient({ createdBy: attending.id });
    otherPatientId = await createPatient({ createdBy: attending.id });
    await addToCareTeam(patientId, nurse.id, "nurse");
    // Seven messages, four of them written in the same microsecond (a burst), so paging
    // by time alone would skip or repeat some of them.
    await serviceQuery(async (tx) => {
      const times = ["2026-01-01T10:00:00.000001Z", "2026-01-01T10:00:01.000001Z", "2026-01-01T10:00:02.500123Z", "2026-01-01T10:00:02.500123Z", "2026-01-01T10:00:02.500123Z", "2026-01-01T10:00:02.500123Z", "2026-01-01T10:00:03.000001Z"];
      for (const [i, at] of times.entries()) {
        await tx.insertInto("care_messages").values({ patient_id: patientId, sender_id: nurse.id, message: `m${i}`, priority: "normal", created_at: at as unknown as Date }).execute();
      }
      const rows = await tx.selectFrom("care_messages").select("id").where("patient_id", "=", patientId).orderBy("created_at", "asc").orderBy("id", "asc").execute();
      ids.push(...rows.map((r) => r.id));
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("pages back with before_id exactly once per message, even within one microsecond", async () => {
    const seen: string[] = [];
    let r = await listMessages(attending.session, patientId, page({ limit: 2 }), {}, { markRead: false });
    seen.push(...r.data.map((m) => m.id));
    for (let i = 0; i < 10 && r.data.length > 0; i++) {
      r = await listMessages(attending.session, patientId, page({ limit: 2, before_id: seen[seen.length - 1] }));
      seen.push(...r.data.map((m) => m.id));
    }
    expect(seen).toEqual([...ids].reverse());
    // An id from another channel (or none at all) matches nothing rather than everything.
    const foreign = await serviceQuery((tx) =>
      tx.insertInto("care_messages").values({ patient_id: otherPatientId, sender_id: attending.id, message: "elsewhere", priority: "normal" }).returning("id").executeTakeFirstOrThrow(),
    );
    expect((await listMessages(attending.session, patientId, page({ before_id: foreign.id }))).data).toEqual([]);
  });

  it("leaves the read marker alone with markRead: false, and moves it by default", async () => {
    const before = await withUser(attending.session, (tx) => unreadCounts(tx, [patientId]));
    expect(before[patientId]).toBe(ids.length);
    const r = await listMessages(attending.session, patientId, page({ limit: 3 }), {}, { markRead: false });
    expect(r.unread_before).toBe(ids.length);
    expect(await withUser(attending.session, (tx) => unreadCounts(tx, [patientId]))).toEqual({ [patientId]: ids.length });
    // Paging back never moves it either.
    await listMessages(attending.session, patientId, page({ limit: 3, before_id: ids[ids.length - 1] }));
    expect(await withUser(attending.session, (tx) => unreadCounts(tx, [patientId]))).toEqual({ [patientId]: ids.length });
    await listMessages(attending.session, patientId, page({ limit: 1 }));
    expect(await withUser(attending.session, (tx) => unreadCounts(tx, [patientId]))).toEqual({ [patientId]: 0 });
  });

  it("gives the dashboard rows their unread counts only when asked (the API's shape stays)", async () => {
    const admin = await createUser("admin");
    await serviceQuery((tx) =>
      tx.insertInto("care_messages").values({ patient_id: patientId, sender_id: attending.id, message: "for the nurse", priority: "urgent" }).execute(),
    );
    const q = { sort: "name" as const, limit: 25, offset: 0 };
    const forNurse = await listPatients(nurse.session, q, {}, { unreadMessages: true });
    // The nurse never read the channel: every message by someone else is unread (their own are not).
    expect(forNurse.data.map((r) => [r.id, r.unread_messages])).toEqual([[patientId, 1]]);
    const forAttending = await listPatients(attending.session, q, {}, { unreadMessages: true });
    expect(Object.fromEntries(forAttending.data.map((r) => [r.id, r.unread_messages]))).toEqual({ [patientId]: 0, [otherPatientId]: 0 });
    expect((await listPatients(attending.session, q, {})).data.every((r) => !("unread_messages" in r))).toBe(true);
    expect((await listPatients(admin.session, q, {}, { unreadMessages: true })).data.every((r) => r.unread_messages === undefined)).toBe(true);
  });
});
