import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, addToCareTeam, serviceQuery } from "../support/seed";
import { withUser } from "@/core/db/with-user";
import { recordRead } from "@/core/audit/record";

describe.each(engines)("audit writers are scoped to the caller on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("refuses a read record about a patient the caller cannot read, and allows their own", async () => {
    const provider = await createUser("provider");
    const victimUser = await createUser("patient");
    const attacker = await createUser("patient");
    const victim = await createPatient({ createdBy: provider.id, userId: victimUser.id });
    const own = await createPatient({ createdBy: provider.id, userId: attacker.id });
    await addToCareTeam(victim, provider.id, "attending");

    await expect(withUser(attacker.session, (tx) => recordRead(tx, { kind: "visits", patientIds: [victim] }))).rejects.toMatchObject({ code: "42501" });
    await withUser(attacker.session, (tx) => recordRead(tx, { kind: "visits", patientIds: [own] }));
    await withUser(provider.session, (tx) => recordRead(tx, { kind: "visits", patientIds: [victim] }));
    const planted = await serviceQuery((tx) =>
      tx.selectFrom("audit_log").select("id").where("patient_id", "=", victim).where("actor_id", "=", attacker.id).execute(),
    );
    expect(planted).toEqual([]);
  });

  it("refuses an account event about a patient the caller cannot read, and records the caller as actor", async () => {
    const a = await createUser("provider");
    const b = await createUser("provider");
    const hidden = await createPatient({ createdBy: b.id });
    await addToCareTeam(hidden, b.id, "attending");
    await expect(
      withUser(a.session, (tx) => sql`select app.record_event('invite.created', ${a.id}::uuid, null, ${hidden}::uuid, '{}'::jsonb)`.execute(tx)),
    ).rejects.toMatchObject({ code: "42501" });
    await withUser(a.session, (tx) => sql`select app.record_event('auth.sign_in', ${b.id}::uuid, null, null, '{}'::jsonb)`.execute(tx));
    const rows = await serviceQuery((tx) => tx.selectFrom("audit_log").select("actor_id").where("action", "=", "auth.sign_in").execute());
    expect(rows.map((r) => r.actor_id)).toEqual([a.id]);
  });
});
