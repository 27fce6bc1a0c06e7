import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, type TestUser } from "../support/seed";
import { asService, withUser } from "@/core/db/with-user";
import { drainStagedReads, recordRead, type ReadKind } from "@/core/audit/record";
import { checkpointKey, startAuditCheckpoints } from "@/core/audit/checkpoint";
import { verifyAuditTrail } from "@/core/audit/verify-trail";
import { getPatient } from "@/core/clinical/patients";
import { getAccessLog } from "@/core/audit/get-access-log";
import { listAuditRecords } from "@/core/audit/list-audit-records";
import { asSuperuser } from "./support";

const ctx = { requestId: "req-stage-0001", ip: "203.0.113.9", userAgent: "vitest-stage" };

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).message;
  }
}

/** Staged read records, as the service identity sees them (without draining). */
async function staged(): Promise<Array<{ id: string; occurred_at: string; table_name: string; patient_id: string | null; actor_id: string | null }>> {
  return asService("test inspection of the stage", async (tx) =>
    (await sql<{ id: string; occurred_at: string; table_name: string; patient_id: string | null; actor_id: string | null }>`
      select id::text as id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as occurred_at,
             table_name, patient_id, actor_id
        from app.audit_read_stage order by id`.execute(tx)).rows,
  );
}

async function chained(ids: string[]) {
  return asService("test inspection of the trail", async (tx) =>
    (await sql<{ id: string; occurred_at: string; action: string; table_name: string; chain_id: number | null; hash: string | null; request_id: string | null }>`
      select id::text as id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as occurred_at,
             action, table_name, chain_id, hash, request_id
        from public.audit_log where id = any (${ids}::bigint[]) order by id`.execute(tx)).rows,
  );
}

describe.each(engines)("staged read records on %s", (engine) => {
  let t: TestDatabase;
  let doc: TestUser;
  let admin: TestUser;
  let patientUser: TestUser;
  let patientId: string;
  let hiddenId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    doc = await createUser("provider");
    admin = await createUser("admin");
    patientUser = await createUser("patient");
    patientId = await createPatient({ createdBy: doc.id, userId: patientUser.id });
    hiddenId = await createPatient({ createdBy: (await createUser("provider")).id });
  });
  beforeEach(async () => {
    await drainStagedReads(t.db.pool); // each test starts with an empty stage
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("stages a chart read in the read's own statement, then chains it with the same id and time", async () => {
    const patient = await getPatient(doc.session, patientId, ctx);
    expect(patient.id).toBe(patientId);
    const s = await staged();
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ table_name: "patient_chart", patient_id: patientId, actor_id: doc.id });
    expect(await chained([s[0].id])).toEqual([]); // not on a chain yet

    expect(await drainStagedReads(t.db.pool)).toBe(1);
    expect(await staged()).toEqual([]);
    const [rec] = await chained([s[0].id]);
    expect(rec).toMatchObject({ id: s[0].id, occurred_at: s[0].occurred_at, action: "read", table_name: "patient_chart", request_id: ctx.requestId });
    expect(rec.chain_id).not.toBeNull();
    expect(rec.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await verifyAuditTrail(t.db.pool, checkpointKey())).ok).toBe(true);
  });

  it("records nothing for a chart the caller cannot see (404)", async () => {
    expect(await failure(getPatient(doc.session, hiddenId, ctx))).toBe("not_found");
    expect(await staged()).toEqual([]);
  });

  it("keeps the order of records: a staged read and a chained write in one transaction", async () => {
    await withUser(doc.session, async (tx) => {
      await recordRead(tx, { kind: "visits", patientIds: [patientId] });
      await tx.insertInto("visits").values({ patient_id: patientId, provider_id: doc.id, visit_date: new Date(), chief_complaint: "Cough" }).execute();
    }, ctx);
    const [read] = await staged();
    await drainStagedReads(t.db.pool);
    const rows = await asService("test", async (tx) =>
      (await sql<{ id: string; action: string; table_name: string }>`
        select id::text as id, action, table_name from public.audit_log where id >= ${read.id}::bigint order by id`.execute(tx)).rows,
    );
    expect(rows.map((r) => `${r.action} ${r.table_name}`)).toEqual(["read visits", "insert visits"]);
    expect((await verifyAuditTrail(t.db.pool, checkpointKey())).ok).toBe(true);
  });

  it("shows staged records to the patient's access log and the admin search before any job ran", async () => {
    await getPatient(doc.session, patientId, ctx);
    expect(await staged()).toHaveLength(1);
    const log = await getAccessLog(patientUser.session, patientId, {}, ctx);
    expect(log.data[0]).toMatchObject({ activity: "viewed", record_kind: "patient_chart", actor: { role: "provider" } });
    await getPatient(doc.session, patientId, ctx);
    const page = await listAuditRecords(admin.session, { patient: patientId, action: "read", limit: 5 }, ctx);
    expect(page.data[0]).toMatchObject({ action: "read", table: "patient_chart", patient_id: patientId });
    expect(page.data[0].chain.id).not.toBeNull();
  });

  it("refuses read records about patients the caller cannot read, like app.record_read", async () => {
    expect(await failure(withUser(patientUser.session, (tx) => recordRead(tx, { kind: "visits", patientIds: [hiddenId] })))).toBe("42501");
    expect(await failure(withUser(doc.session, (tx) => recordRead(tx, { kind: "visits", patientIds: [patientId, hiddenId] })))).toBe("42501");
    expect(await failure(withUser(doc.session, (tx) => recordRead(tx, { kind: "Visits; drop" as ReadKind, patientIds: [patientId] })))).toBe("22023");
    expect(await staged()).toEqual([]);
  });

  it("app.may_read_patients agrees with app.readable_patient_ids", async () => {
    const unverified = await createUser("provider", { verified: false });
    const inactive = await createUser("provider");
    const both = await createUser("provider");
    const p2 = await createPatient({ createdBy: doc.id, userId: both.id });
    await addToCareTeam(patientId, unverified.id, "nurse");
    await addToCareTeam(patientId, inactive.id, "nurse");
    await addToCareTeam(patientId, both.id, "specialist");
    await asService("test", (tx) => tx.updateTable("auth.users").set({ is_active: false }).where("id", "=", inactive.id).execute());
    const users = [doc, admin, patientUser, unverified, inactive, both];
    const patients = [patientId, hiddenId, p2];
    const { rows } = await asService("test", (tx) =>
      sql<{ uid: string; pid: string; point: boolean; set: boolean }>`
        select u.uid, p.pid, app.may_read_patients(u.uid, array[p.pid]) as point, p.pid = any (app.readable_patient_ids(u.uid)) as set
          from unnest(${users.map((u) => u.id)}::uuid[]) u(uid), unnest(${patients}::uuid[]) p(pid)`.execute(tx),
    );
    expect(rows).toHaveLength(users.length * patients.length);
    for (const r of rows) expect({ ...r, point: r.point }).toEqual({ ...r, point: r.set });
    expect(rows.filter((r) => r.set).length).toBeGreaterThan(2); // the matrix has both answers
  });

  it("is append-only: application roles cannot touch the stage, and the owner cannot change it", async () => {
    await getPatient(doc.session, patientId, ctx);
    for (const s of [admin.session, doc.session]) {
      expect(await failure(withUser(s, (tx) => sql`select * from app.audit_read_stage`.execute(tx)))).toBe("42501");
      expect(await failure(withUser(s, (tx) => sql`delete from app.audit_read_stage`.execute(tx)))).toBe("42501");
      expect(await failure(withUser(s, (tx) => sql`insert into app.audit_read_stage (table_name, details) values ('x', '{}')`.execute(tx)))).toBe("42501");
      expect(await failure(withUser(s, (tx) => sql`select app.audit_drain_reads(10)`.execute(tx)))).toBe("42501");
    }
    expect(await failure(asService("test", (tx) => sql`delete from app.audit_read_stage`.execute(tx)))).toBe("42501");
    expect(await failure(asService("test", async (tx) => {
      await sql`grant update, truncate on app.audit_read_stage to current_user`.execute(tx);
      await sql`update app.audit_read_stage set actor_id = null`.execute(tx);
    }))).toBe("42501");
    expect(await failure(asService("test", async (tx) => {
      await sql`grant update, truncate on app.audit_read_stage to current_user`.execute(tx);
      await sql`truncate app.audit_read_stage`.execute(tx);
    }))).toBe("42501");
    expect(await staged()).toHaveLength(1);
    await drainStagedReads(t.db.pool);
  });

  it("moves nothing while the chain trigger is off, and verify reports a disabled stage guard", async () => {
    await getPatient(doc.session, patientId, ctx);
    await asSuperuser(t, (q) => q("alter table public.audit_log disable trigger audit_log_chain"));
    try {
      expect(await drainStagedReads(t.db.pool)).toBe(0);
      expect(await staged()).toHaveLength(1);
    } finally {
      await asSuperuser(t, (q) => q("alter table public.audit_log enable trigger audit_log_chain"));
    }
    await asSuperuser(t, (q) => q("alter table app.audit_read_stage disable trigger audit_read_stage_append_only"));
    try {
      const r = await verifyAuditTrail(t.db.pool, checkpointKey());
      expect(r.ok).toBe(false);
      expect(r.problems.map((p) => p.reason)).toContain("trigger audit_read_stage_append_only on app.audit_read_stage is disabled");
      expect(await staged()).toEqual([]); // verify drained first
    } finally {
      await asSuperuser(t, (q) => q("alter table app.audit_read_stage enable trigger audit_read_stage_append_only"));
    }
    expect((await verifyAuditTrail(t.db.pool, checkpointKey())).ok).toBe(true);
  });

  it("the service job chains staged records and signs them within seconds", async () => {
    await getPatient(doc.session, patientId, ctx);
    const [s] = await staged();
    const errors: unknown[] = [];
    const stop = startAuditCheckpoints(t.db.pool, 60_000, (e) => errors.push(e), { drainMs: 50, sealMs: 100 });
    try {
      const deadline = Date.now() + 20_000;
      let signed = false;
      while (!signed && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        signed = await asService("test", async (tx) =>
          (await sql<{ ok: boolean }>`
            select exists (select 1 from public.audit_log a join app.audit_checkpoints c on c.chain_id = a.chain_id and c.chain_seq >= a.chain_seq
                            where a.id = ${s.id}::bigint) as ok`.execute(tx)).rows[0].ok,
        );
      }
      expect(signed).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await stop();
    }
  });

  it("stopping the job chains what is still staged and signs it", async () => {
    const stop = startAuditCheckpoints(t.db.pool, 60_000, () => {}, { drainMs: 60_000, sealMs: 60_000 });
    await getPatient(doc.session, patientId, ctx);
    const [s] = await staged();
    expect(s).toBeDefined();
    await stop();
    expect(await staged()).toEqual([]);
    const signed = await asService("test", async (tx) =>
      (await sql<{ ok: boolean }>`
        select exists (select 1 from public.audit_log a join app.audit_checkpoints c on c.chain_id = a.chain_id and c.chain_seq >= a.chain_seq
                        where a.id = ${s.id}::bigint) as ok`.execute(tx)).rows[0].ok,
    );
    expect(signed).toBe(true);
  });
});
