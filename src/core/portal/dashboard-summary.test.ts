import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery } from "../../../tests/support/seed";
import { getDashboardSummary } from "./dashboard-summary";
import { getViewer } from "./get-viewer";

describe.each(engines)("portal read models on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("counts only the caller's patients, this week's visits and active prescriptions", async () => {
    const a = await createUser("provider");
    const b = await createUser("provider");
    const mine = await createPatient({ createdBy: a.id });
    const theirs = await createPatient({ createdBy: b.id });
    await addToCareTeam(mine, a.id, "attending");
    await addToCareTeam(theirs, b.id, "attending");
    await serviceQuery(async (tx) => {
      await tx.insertInto("visits").values([
        { patient_id: mine, provider_id: a.id, visit_date: new Date(), chief_complaint: "cough" },
        { patient_id: mine, provider_id: a.id, visit_date: new Date(Date.now() - 40 * 86400_000), chief_complaint: "old" },
        { patient_id: theirs, provider_id: b.id, visit_date: new Date(), chief_complaint: "theirs" },
      ]).execute();
      await tx.insertInto("prescriptions").values([
        { patient_id: mine, prescriber_id: a.id, medication: "A", dosage: "1", frequency: "daily", start_date: "2026-01-01", is_active: true },
        { patient_id: mine, prescriber_id: a.id, medication: "B", dosage: "1", frequency: "daily", start_date: "2026-01-01", is_active: false },
        { patient_id: theirs, prescriber_id: b.id, medication: "C", dosage: "1", frequency: "daily", start_date: "2026-01-01", is_active: true },
      ]).execute();
    });
    const s = await getDashboardSummary(a.session);
    expect(s).toEqual({ totalPatients: 1, visitsThisWeek: 1, activePrescriptions: 1, pendingDocuments: 0 });
    const unverified = await createUser("provider", { verified: false });
    expect(await getDashboardSummary(unverified.session)).toEqual({ totalPatients: 0, visitsThisWeek: 0, activePrescriptions: 0, pendingDocuments: 0 });
  });

  it("describes the signed-in user without secrets", async () => {
    const p = await createUser("provider", { verified: false, fullName: "Dr Who" });
    const v = await getViewer(p.session);
    expect(v).toMatchObject({ id: p.id, fullName: "Dr Who", role: "provider", verified: false, mfaEnabled: false });
    const admin = await createUser("admin");
    expect((await getViewer(admin.session)).verified).toBe(true);
  });
});
