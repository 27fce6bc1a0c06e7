import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, sql, type TestUser } from "../support/seed";
import { call } from "../support/http";
import { auditRecordsSince, lastAuditId } from "../support/audit";
import { tamper } from "./support";
import { GET as getPatient } from "@/app/api/v1/patients/[id]/route";
import { parseAuditTrailQuery, viewAuditTrail } from "@/core/audit/view-audit-trail";
import { getAuditStatus } from "@/core/audit/audit-status";
import { writeCheckpoints } from "@/core/audit/checkpoint";
import { BadRequestError, ForbiddenError } from "@/core/errors";

/** The admin audit page's reads: keyset pages both ways, names, its own audit record, and the checkpoint status card. */
describe.each(engines)("admin audit page reads on %s", (engine) => {
  let t: TestDatabase;
  let admin: TestUser;
  let adminNoMfa: TestUser;
  let doc: TestUser;
  let patientId: string;
  const key = randomBytes(32);

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    admin = await createUser("admin", { fullName: "Ada Admin" });
    adminNoMfa = await createUser("admin", { aal: "aal1" });
    doc = await createUser("provider", { fullName: "Dr. Dora Doc" });
    patientId = await createPatient({ createdBy: doc.id, firstName: "Pia", lastName: "Paging" });
    for (let i = 0; i < 7; i++) expect((await call(getPatient, { token: doc.accessToken, params: { id: patientId } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("should page older and newer with keyset cursors, without gaps or repeats", async () => {
    const filters = { patient: patientId, actor: doc.id, action: "read", table: "patient_chart" };
    const all = await viewAuditTrail(admin.session, { ...filters, limit: 200 }, {});
    expect(all.records).toHaveLength(7);
    expect(all.newer).toBeNull();
    expect(all.older).toBeNull();
    const ids = all.records.map((r) => r.id);

    const pages: string[][] = [];
    let page = await viewAuditTrail(admin.session, { ...filters, limit: 3 }, {});
    expect(page.newer).toBeNull();
    pages.push(page.records.map((r) => r.id));
    while (page.older) {
      page = await viewAuditTrail(admin.session, { ...filters, limit: 3, ...parseAuditTrailQuery({ cursor: page.older }) }, {});
      expect(page.newer).not.toBeNull();
      pages.push(page.records.map((r) => r.id));
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(ids);

    // and back: from the last page, "Previous" gives exactly the pages seen before
    for (let i = pages.length - 2; i >= 0; i--) {
      page = await viewAuditTrail(admin.session, { ...filters, limit: 3, ...parseAuditTrailQuery({ before: page.newer! }) }, {});
      expect(page.records.map((r) => r.id)).toEqual(pages[i]);
      expect(page.older).not.toBeNull();
    }
    expect(page.newer).toBeNull();
  });

  it("should name the patients shown and the filtered actor, and record the read naming those patients", async () => {
    const before = await lastAuditId();
    const r = await viewAuditTrail(admin.session, { patient: patientId, actor: doc.id, limit: 2 }, { requestId: "req-view-0001" });
    expect(r.patientNames).toEqual({ [patientId]: "Paging, Pia" });
    expect(r.actorFilter).toEqual({ id: doc.id, name: "Dr. Dora Doc", role: "provider" });
    const written = await auditRecordsSince(before);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ actor_id: admin.id, action: "read", table_name: "audit_trail", patient_id: patientId, request_id: "req-view-0001" });
    expect(written[0].details).toMatchObject({ view: "admin_page", page: "first", records: r.records.map((x) => x.id) });
  });

  it("should block anyone but an admin with MFA", async () => {
    await expect(viewAuditTrail(doc.session, {}, {})).rejects.toBeInstanceOf(ForbiddenError);
    await expect(viewAuditTrail(adminNoMfa.session, {}, {})).rejects.toBeInstanceOf(ForbiddenError);
    await expect(getAuditStatus(doc.session, {}, key)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(getAuditStatus(adminNoMfa.session, {}, key)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("should refuse malformed filters naming the parameter", () => {
    for (const [params, field] of [
      [{ from: "2026-02-30" }, "from"],
      [{ patient: "Smith" }, "patient"],
      [{ before: "bm90IGEgY3Vyc29y" }, "cursor"],
      [{ sort: "name" }, "sort"],
    ] as const) {
      let error: unknown;
      try {
        parseAuditTrailQuery(params);
      } catch (e) {
        error = e;
      }
      expect(error, field).toBeInstanceOf(BadRequestError);
      expect(Object.keys((error as BadRequestError).fields ?? {}), field).toContain(field);
    }
    expect(parseAuditTrailQuery({ to: "2026-11-24", action: "read", limit: "25" })).toMatchObject({ action: "read", limit: 25, to: new Date("2026-11-24T00:00:00Z") });
  });

  it("should report the checkpoint status, and a checkpointed record that was changed", async () => {
    const unsigned = await getAuditStatus(admin.session, {}, key);
    expect(unsigned.lastCheckpointAt).toBeNull();
    expect(unsigned.records).toBeGreaterThan(0);
    expect(unsigned.recordsSinceCheckpoint).toBe(unsigned.records);
    expect(unsigned.problems).toEqual([]);

    expect(await writeCheckpoints(t.db.pool, key)).toBeGreaterThan(0);
    const signed = await getAuditStatus(admin.session, {}, key);
    expect(signed.lastCheckpointAt).not.toBeNull();
    expect(signed.chainsSigned).toBe(signed.chainsInUse);
    expect(signed.problems).toEqual([]);

    // another key: every signature reads as forged
    expect((await getAuditStatus(admin.session, {}, randomBytes(32))).problems.join(" ")).toMatch(/signature that does not match/);

    const rows = await serviceQuery(async (tx) =>
      (await sql<{ chain_id: number; chain_seq: string }>`
        select chain_id, chain_seq::text as chain_seq from app.audit_checkpoints order by id desc limit 1`.execute(tx)).rows,
    );
    await tamper(t, [["update public.audit_log set action = 'tampered' where chain_id = $1 and chain_seq = $2", [rows[0].chain_id, rows[0].chain_seq]]]);
    const after = await getAuditStatus(admin.session, {}, key);
    expect(after.problems).toContain(`The record checkpointed at chain ${rows[0].chain_id} position ${rows[0].chain_seq} has changed.`);
  });
});
