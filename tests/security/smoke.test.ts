import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, createPatient, addToCareTeam } from "../support/seed";
import { withUser } from "@/core/db/with-user";

describe.each(engines)("withUser on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("shows a provider only the patients of their care team", async () => {
    const a = await createUser("provider");
    const b = await createUser("provider");
    const p1 = await createPatient({ createdBy: a.id });
    const p2 = await createPatient({ createdBy: b.id });
    await addToCareTeam(p1, a.id, "attending");
    const seen = await withUser(a.session, (tx) => tx.selectFrom("patients").select("id").execute());
    expect(seen.map((r) => r.id)).toContain(p1);
    expect(seen.map((r) => r.id)).not.toContain(p2);
  });
});
