import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { createUser } from "../../../tests/support/seed";
import { listUsers, ZListUsersQuery } from "./admin-users";

describe.each(engines)("admin user list on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("pages with a total, and filters pending providers (active, not verified)", async () => {
    const admin = await createUser("admin", { aal: "aal2" });
    const pending = await createUser("provider", { verified: false });
    const verified = await createUser("provider");
    const q = (over: Partial<ReturnType<typeof ZListUsersQuery.parse>>) => listUsers(admin.session, ZListUsersQuery.parse({ ...over }));

    const onlyPending = await q({ status: "pending", limit: 200 });
    expect(onlyPending.data.map((u) => u.id)).toContain(pending.id);
    expect(onlyPending.data.map((u) => u.id)).not.toContain(verified.id);
    expect(onlyPending.data.every((u) => u.role === "provider" && !u.verified && u.is_active)).toBe(true);
    expect(onlyPending.count).toBe(onlyPending.data.length);

    const all = await q({ limit: 200 });
    const first = await q({ limit: 1, offset: 0 });
    const second = await q({ limit: 1, offset: 1 });
    expect(first.count).toBe(all.count);
    expect(first.data).toHaveLength(1);
    expect(second.data[0].id).not.toBe(first.data[0].id);
    expect(second.data[0].id).toBe(all.data[1].id);
  });
});
