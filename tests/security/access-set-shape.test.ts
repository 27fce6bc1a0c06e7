import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, createPatient, addToCareTeam, serviceQuery, sql } from "../support/seed";
import { withUser } from "@/core/db/with-user";

/**
 * db/migrations/0007_access_set_shape.sql: the access sets come back sorted and without
 * duplicates (btree re-sorts a policy's array on every index rescan otherwise; see
 * docs/rls-shape.md), with exactly the members the rules give.
 */
const sorted = (ids: string[]) => [...new Set(ids)].sort();

async function setOf(fn: "readable_patient_ids" | "care_team_patient_ids" | "own_patient_ids" | "visible_user_ids", uid: string) {
  return serviceQuery(async (tx) => {
    const { rows } = await sql<{ ids: string[] }>`select app.${sql.raw(fn)}(${uid}::uuid)::text[] as ids`.execute(tx);
    return rows[0].ids;
  });
}

describe.each(engines)("access sets on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("returns a provider's care-team patients sorted, the same set the policies apply", async () => {
    const doc = await createUser("provider");
    const other = await createUser("provider");
    const mine: string[] = [];
    for (let i = 0; i < 12; i++) mine.push(await createPatient({ createdBy: doc.id }));
    const notMine = await createPatient({ createdBy: other.id });
    // added later, as nurse: still sorted among the attending ones
    const later = await createPatient({ createdBy: other.id });
    await addToCareTeam(later, doc.id, "nurse");
    mine.push(later);

    const readable = await setOf("readable_patient_ids", doc.id);
    expect(readable).toEqual(sorted(mine));
    expect(readable).not.toContain(notMine);
    expect(await setOf("care_team_patient_ids", doc.id)).toEqual(sorted(mine));

    const viaPolicy = await withUser(doc.session, async (tx) => {
      const { rows } = await sql<{ ids: string[] }>`select app.my_readable_patient_ids()::text[] as ids`.execute(tx);
      return rows[0].ids;
    });
    expect(viaPolicy).toEqual(readable);
  });

  it("merges a care team and an own record into one sorted set without duplicates", async () => {
    // A provider whose account is also linked to their own patient record, which is on
    // their own care team: the one case where both halves of the readable set are non-empty.
    const doc = await createUser("provider");
    const colleague = await createUser("provider");
    const treated = [await createPatient({ createdBy: doc.id }), await createPatient({ createdBy: doc.id })];
    const self = await createPatient({ createdBy: colleague.id, userId: doc.id });
    await addToCareTeam(self, doc.id, "nurse");

    expect(await setOf("own_patient_ids", doc.id)).toEqual([self]);
    expect(await setOf("readable_patient_ids", doc.id)).toEqual(sorted([...treated, self]));
  });

  it("gives a patient their own record only, and an unverified provider nothing", async () => {
    const doc = await createUser("provider");
    const portal = await createUser("patient");
    const record = await createPatient({ createdBy: doc.id, userId: portal.id });
    const unverified = await createUser("provider", { verified: false });
    await addToCareTeam(record, unverified.id, "nurse");

    expect(await setOf("readable_patient_ids", portal.id)).toEqual([record]);
    expect(await setOf("readable_patient_ids", unverified.id)).toEqual([]);
  });

  it("reads the caller from the claims (auth.uid(), inlined since 0007_claims_inline)", async () => {
    const doc = await createUser("provider");
    const uidOf = (session: typeof doc.session | null) =>
      withUser(session, async (tx) => {
        const { rows } = await sql<{ uid: string | null; sub: string | null }>`
          select auth.uid()::text as uid, auth.jwt() ->> 'sub' as sub`.execute(tx);
        return rows[0];
      });
    expect(await uidOf(doc.session)).toEqual({ uid: doc.id, sub: doc.id });
    expect(await uidOf(null)).toEqual({ uid: null, sub: null });
    const outside = await serviceQuery(async (tx) => {
      const { rows } = await sql<{ uid: string | null; jwt: unknown }>`
        select auth.uid()::text as uid, auth.jwt() as jwt
          from (select set_config('request.jwt.claims', '', true)) s`.execute(tx);
      return rows[0];
    });
    expect(outside).toEqual({ uid: null, jwt: {} });
  });

  it("returns the staff a provider may see sorted", async () => {
    const doc = await createUser("provider");
    await createUser("provider");
    await createUser("admin");
    const visible = await setOf("visible_user_ids", doc.id);
    const staff = await serviceQuery(async (tx) => {
      const { rows } = await sql<{ id: string }>`select id::text from auth.users where role in ('provider', 'admin')`.execute(tx);
      return rows.map((r) => r.id);
    });
    expect(visible).toEqual(sorted(staff));
  });
});
