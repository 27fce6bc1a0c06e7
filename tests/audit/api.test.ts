import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, type TestUser } from "../support/seed";
import { call } from "../support/http";
import { auditRecordsSince, lastAuditId } from "../support/audit";
import { GET as getAudit } from "@/app/api/v1/admin/audit/route";
import { GET as exportAudit } from "@/app/api/v1/admin/audit/export/route";
import { GET as getAccessLog } from "@/app/api/v1/patients/[id]/access-log/route";
import { GET as getPatient } from "@/app/api/v1/patients/[id]/route";

describe.each(engines)("audit API on %s", (engine) => {
  let t: TestDatabase;
  let admin: TestUser;
  let adminNoMfa: TestUser;
  let doc: TestUser;
  let nurse: TestUser;
  let outsider: TestUser;
  let patientUser: TestUser;
  let otherPatientUser: TestUser;
  let patientId: string;
  let otherPatientId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    admin = await createUser("admin", { fullName: "Ada Admin" });
    adminNoMfa = await createUser("admin", { aal: "aal1" });
    doc = await createUser("provider", { fullName: "Dr. Dora Doc" });
    nurse = await createUser("provider", { fullName: "Nina Nurse" });
    outsider = await createUser("provider");
    patientUser = await createUser("patient", { fullName: "Paula Patient" });
    otherPatientUser = await createUser("patient");
    patientId = await createPatient({ createdBy: doc.id, userId: patientUser.id });
    otherPatientId = await createPatient({ createdBy: outsider.id, userId: otherPatientUser.id });
    await addToCareTeam(patientId, nurse.id, "nurse");
    // the chart is opened by the doctor, twice by the nurse
    for (const who of [doc, nurse, nurse]) {
      expect((await call(getPatient, { token: who.accessToken, params: { id: patientId } })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.drop();
  });

  describe("GET /api/v1/admin/audit", () => {
    it("should block anyone but an admin signed in with MFA", async () => {
      expect((await call(getAudit)).status).toBe(401);
      for (const who of [doc, patientUser]) expect((await call(getAudit, { token: who.accessToken })).status).toBe(403);
      const r = await call(getAudit, { token: adminNoMfa.accessToken });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("mfa_required");
    });

    it("should allow an admin to filter by patient, actor, action and table, with names and roles", async () => {
      const r = await call(getAudit, { token: admin.accessToken, query: { patient: patientId, actor: nurse.id, action: "read", table: "patient_chart" } });
      expect(r.status).toBe(200);
      expect(r.body.data).toHaveLength(2);
      for (const row of r.body.data) {
        expect(row).toMatchObject({ action: "read", table: "patient_chart", patient_id: patientId, actor: { id: nurse.id, name: "Nina Nurse", role: "provider" } });
        expect(row.occurred_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      }
      expect(r.body.next_cursor).toBeNull();
      const writes = await call(getAudit, { token: admin.accessToken, query: { patient: patientId, action: "insert", table: "patients" } });
      expect(writes.body.data).toHaveLength(1);
      // seeded through the service path: no user acted, and the record says which service reason
      expect(writes.body.data[0]).toMatchObject({ actor: null, actor_role: "service_role", record_id: patientId, details: { service_reason: "test seeding" } });
      expect(writes.body.data[0].new_row).toMatchObject({ id: patientId });
    });

    it("should page newest first with a keyset cursor, without gaps or repeats", async () => {
      const all = await call(getAudit, { token: admin.accessToken, query: { patient: patientId, limit: "200" } });
      const ids: string[] = all.body.data.map((r: { id: string }) => r.id);
      expect(ids.length).toBeGreaterThan(5);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string> = { patient: patientId, limit: "2" };
        if (cursor) query.cursor = cursor;
        const page = await call(getAudit, { token: admin.accessToken, query });
        expect(page.status).toBe(200);
        paged.push(...page.body.data.map((r: { id: string }) => r.id));
        cursor = page.body.next_cursor;
      } while (cursor && paged.length < 500);
      // the listing itself adds records (reading the trail is audited), so compare the common prefix
      expect(paged.slice(-ids.length)).toEqual(ids);
      expect(new Set(paged).size).toBe(paged.length);
    });

    it("should record that the trail was read, one record per patient shown", async () => {
      const before = await lastAuditId();
      const r = await call(getAudit, { token: admin.accessToken, query: { patient: patientId, limit: "3" } });
      const rows = await auditRecordsSince(before);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ actor_id: admin.id, action: "read", table_name: "audit_trail", patient_id: patientId });
      expect(rows[0].details).toMatchObject({ records: r.body.data.map((x: { id: string }) => x.id), filters: { patient: patientId } });
    });

    it("should filter by a date range", async () => {
      const future = await call(getAudit, { token: admin.accessToken, query: { from: "2999-01-01" } });
      expect(future.status).toBe(200);
      expect(future.body.data).toEqual([]);
      const past = await call(getAudit, { token: admin.accessToken, query: { from: "2000-01-01T00:00:00Z", to: new Date(Date.now() + 60_000).toISOString(), limit: "5" } });
      expect(past.body.data).toHaveLength(5);
    });

    it.each([
      ["actor", "not-a-uuid"], ["patient", "123"], ["from", "yesterday"], ["from", "2026-02-30"], ["to", "2026-13-01T00:00:00Z"],
      ["to", "2026-01-01T25:00:00Z"], ["action", "DROP TABLE"], ["table", "visits;--"], ["cursor", "bm90LWEtY3Vyc29y"], ["limit", "0"],
      ["limit", "201"], ["limit", "ten"], ["sort", "id"],
    ])("should answer 400 to %s=%s", async (name, value) => {
      const r = await call(getAudit, { token: admin.accessToken, query: { [name]: value } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("invalid_request");
    });

    it("should answer 400 when from is after to", async () => {
      const r = await call(getAudit, { token: admin.accessToken, query: { from: "2026-02-01", to: "2026-01-01" } });
      expect(r.status).toBe(400);
    });
  });

  describe("GET /api/v1/admin/audit/export", () => {
    it("should block anyone but an admin signed in with MFA", async () => {
      expect((await call(exportAudit, { token: doc.accessToken })).status).toBe(403);
      expect((await call(exportAudit, { token: adminNoMfa.accessToken })).status).toBe(403);
      expect((await call(exportAudit, { token: admin.accessToken, query: { from: "soon" } })).status).toBe(400);
    });

    it("should allow an admin a CSV of the filtered trail, and record the export", async () => {
      const before = await lastAuditId();
      const r = await call(exportAudit, { token: admin.accessToken, query: { patient: patientId, action: "read", table: "patient_chart" } });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
      const lines = r.bytes!.toString("utf8").trim().split("\r\n");
      expect(lines[0]).toBe("id,occurred_at,actor_id,actor_name,actor_role,action,table,record_id,patient_id,request_id,ip,details");
      expect(lines).toHaveLength(4); // three chart views
      expect(lines.slice(1).every((l) => l.includes("patient_chart") && l.includes(patientId))).toBe(true);
      expect(lines.some((l) => l.includes("Dr. Dora Doc"))).toBe(true);
      const rows = await auditRecordsSince(before);
      expect(rows.map((x) => [x.action, x.table_name, x.patient_id])).toEqual([["read", "audit_trail", patientId]]);
      expect(rows[0].details).toMatchObject({ export: "csv" });
    });
  });

  describe("GET /api/v1/patients/{id}/access-log", () => {
    it("should allow the patient to see who opened their chart: names and roles, no internal ids", async () => {
      const r = await call(getAccessLog, { token: patientUser.accessToken, params: { id: patientId } });
      expect(r.status).toBe(200);
      const views = r.body.data.filter((e: { activity: string; record_kind: string }) => e.activity === "viewed" && e.record_kind === "patient_chart");
      expect(views.map((e: { actor: { name: string } }) => e.actor.name).sort()).toEqual(["Dr. Dora Doc", "Nina Nurse", "Nina Nurse"]);
      expect(views[0].actor.role).toBe("provider");
      expect(r.body.data.some((e: { activity: string; record_kind: string }) => e.activity === "created" && e.record_kind === "patients")).toBe(true);
      const text = JSON.stringify(r.body);
      for (const id of [doc.id, nurse.id]) expect(text).not.toContain(id);
      expect(text).not.toMatch(/"ip"|user_agent|request_id/);
    });

    it("should record that the patient read the access log", async () => {
      const before = await lastAuditId();
      await call(getAccessLog, { token: patientUser.accessToken, params: { id: patientId }, query: { limit: "2" } });
      const rows = await auditRecordsSince(before);
      expect(rows.map((x) => [x.actor_id, x.action, x.table_name, x.patient_id])).toEqual([[patientUser.id, "read", "access_log", patientId]]);
    });

    it("should page with a cursor", async () => {
      const first = await call(getAccessLog, { token: patientUser.accessToken, params: { id: patientId }, query: { limit: "2" } });
      expect(first.body.data).toHaveLength(2);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await call(getAccessLog, { token: patientUser.accessToken, params: { id: patientId }, query: { limit: "2", cursor: first.body.next_cursor } });
      expect(second.status).toBe(200);
      expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
      expect(BigInt(second.body.data[0].id) < BigInt(first.body.data[1].id)).toBe(true);
    });

    it("should leave out the patient's own records with others_only=true, and only those", async () => {
      const all = await call(getAccessLog, { token: patientUser.accessToken, params: { id: patientId }, query: { limit: "200" } });
      const others = await call(getAccessLog, { token: patientUser.accessToken, params: { id: patientId }, query: { limit: "200", others_only: "true" } });
      expect(others.status).toBe(200);
      const mine = (e: { actor: { name: string } }) => e.actor.name === "Paula Patient";
      expect(all.body.data.some(mine)).toBe(true); // the patient's own reads (this test's earlier calls)
      expect(others.body.data.some(mine)).toBe(false);
      const notMine = all.body.data.filter((e: { actor: { name: string } }) => !mine(e)).map((e: { id: string }) => e.id);
      expect(others.body.data.map((e: { id: string }) => e.id)).toEqual(notMine);
      expect((await call(getAccessLog, { token: patientUser.accessToken, params: { id: patientId }, query: { others_only: "yes" } })).status).toBe(400);
    });

    it("should allow an admin with MFA", async () => {
      const r = await call(getAccessLog, { token: admin.accessToken, params: { id: patientId } });
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeGreaterThan(3);
    });

    it("should block everyone else with 404: another patient, the care team, an outsider; 403 for an admin without MFA", async () => {
      for (const who of [otherPatientUser, doc, nurse, outsider]) {
        const r = await call(getAccessLog, { token: who.accessToken, params: { id: patientId } });
        expect(r.status, who.role).toBe(404);
      }
      expect((await call(getAccessLog, { token: patientUser.accessToken, params: { id: otherPatientId } })).status).toBe(404);
      expect((await call(getAccessLog, { token: admin.accessToken, params: { id: "00000000-0000-4000-8000-000000000000" } })).status).toBe(404);
      expect((await call(getAccessLog, { token: adminNoMfa.accessToken, params: { id: patientId } })).status).toBe(403);
      expect((await call(getAccessLog, { params: { id: patientId } })).status).toBe(401);
    });

    it("should answer 400 to a malformed id or paging parameter", async () => {
      expect((await call(getAccessLog, { token: patientUser.accessToken, params: { id: "42" } })).status).toBe(400);
      for (const query of [{ cursor: "zz" }, { limit: "-1" }, { actor: doc.id }] as Record<string, string>[]) {
        expect((await call(getAccessLog, { token: patientUser.accessToken, params: { id: patientId }, query })).status).toBe(400);
      }
    });
  });
});
