import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { auditRecordsSince, lastAuditId, summarize } from "../support/audit";
import { asService, withUser } from "@/core/db/with-user";
import { recordEvent } from "@/core/audit/events";
import { recordRead } from "@/core/audit/record";
import { asOwner } from "./support";

const ctx = { requestId: "req-audit-0001", ip: "203.0.113.7", userAgent: "vitest-agent" };

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).message;
  }
}

describe.each(engines)("audit trail writers on %s", (engine) => {
  let t: TestDatabase;
  let doc: TestUser;
  let nurse: TestUser;
  let admin: TestUser;
  let patientUser: TestUser;
  let patientId: string;
  let outsiderId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    doc = await createUser("provider");
    nurse = await createUser("provider");
    admin = await createUser("admin");
    patientUser = await createUser("patient");
    patientId = await createPatient({ createdBy: doc.id, userId: patientUser.id });
    await addToCareTeam(patientId, nurse.id, "nurse");
    outsiderId = (await createUser("provider")).id;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("records an insert, an update and who made them, with the request's id, address and agent", async () => {
    const before = await lastAuditId();
    const visitId = await withUser(doc.session, async (tx) => {
      const { id } = await tx
        .insertInto("visits")
        .values({ patient_id: patientId, provider_id: doc.id, visit_date: new Date(), chief_complaint: "Cough" })
        .returning("id")
        .executeTakeFirstOrThrow();
      await tx.updateTable("visits").set({ diagnosis: "Bronchitis" }).where("id", "=", id).execute();
      return id;
    }, ctx);
    const rows = await auditRecordsSince(before);
    expect(summarize(rows)).toEqual([`insert visits ${patientId}`, `update visits ${patientId}`]);
    const [ins, upd] = rows;
    expect(ins).toMatchObject({ actor_id: doc.id, actor_role: "provider", record_id: visitId, request_id: ctx.requestId, ip: ctx.ip, user_agent: ctx.userAgent });
    expect(ins.old_row).toBeNull();
    expect(ins.new_row).toMatchObject({ id: visitId, chief_complaint: "Cough" });
    expect(upd.old_row).toMatchObject({ diagnosis: null });
    expect(upd.new_row).toMatchObject({ diagnosis: "Bronchitis" });
  });

  it("records the patient registration and the care-team row its trigger adds, and deletes with the old row", async () => {
    const before = await lastAuditId();
    const other = await createPatient({ createdBy: doc.id });
    await asService("test: remove member", (tx) => tx.deleteFrom("care_team").where("patient_id", "=", other).execute());
    const rows = await auditRecordsSince(before);
    // the care-team row is added by a row trigger inside the patient's insert statement, so
    // its statement's record lands first
    expect(summarize(rows)).toEqual([`insert care_team ${other}`, `insert patients ${other}`, `delete care_team ${other}`]);
    expect(rows[1].record_id).toBe(other);
    expect(rows[2].old_row).toMatchObject({ provider_id: doc.id, role: "attending" });
    expect(rows[2].new_row).toBeNull();
    // the service path names itself and its reason
    expect(rows[2]).toMatchObject({ actor_id: null, actor_role: "service_role" });
    expect(rows[2].details).toMatchObject({ service: true, service_reason: "test: remove member" });
  });

  it("never copies secrets (token and code hashes) into the trail", async () => {
    const before = await lastAuditId();
    await withUser(patientUser.session, (tx) =>
      tx.insertInto("devices").values({ patient_id: patientId, name: "Watch", token_hash: "f".repeat(64) }).execute(),
    );
    await withUser(nurse.session, (tx) =>
      tx.insertInto("invites").values({ patient_id: patientId, code_hash: "e".repeat(64), created_by: nurse.id, expires_at: new Date(Date.now() + 3600_000) }).execute(),
    );
    const rows = await auditRecordsSince(before);
    expect(summarize(rows)).toEqual([`insert devices ${patientId}`, `insert invites ${patientId}`]);
    const text = JSON.stringify(rows);
    expect(text).not.toContain("f".repeat(64));
    expect(text).not.toContain("e".repeat(64));
    expect(rows[0].new_row).not.toHaveProperty("token_hash");
    expect(rows[1].new_row).not.toHaveProperty("code_hash");
  });

  it("records a batch of vitals as one record per statement and patient, not one per sample", async () => {
    const before = await lastAuditId();
    const at = Date.now();
    await withUser(nurse.session, (tx) =>
      tx
        .insertInto("vitals")
        .values(Array.from({ length: 50 }, (_, i) => ({
          patient_id: patientId, recorded_by: nurse.id, metric: i % 2 ? "heart_rate" : "spo2", value: 70 + i, unit: i % 2 ? "bpm" : "%",
          recorded_at: new Date(at - i * 1000),
        })))
        .execute(),
    );
    const rows = await auditRecordsSince(before);
    expect(summarize(rows)).toEqual([`insert vitals ${patientId}`]);
    expect(rows[0].actor_id).toBe(nurse.id);
    expect(rows[0].new_row).toMatchObject({ count: 50, metrics: { heart_rate: 25, spo2: 25 } });
    expect((rows[0].new_row as { ids: unknown[] }).ids).toHaveLength(50);
  });

  it("records reads once per patient, and account events through recordEvent in either path", async () => {
    const before = await lastAuditId();
    await withUser(doc.session, (tx) => recordRead(tx, { kind: "visits", patientIds: [patientId, patientId], recordIds: ["v1", "v2"] }), ctx);
    await withUser(admin.session, (tx) =>
      recordEvent(tx, { action: "care_team.changed", actorId: doc.id /* ignored: the signed-in admin acts */, patientId, details: { change: "added", provider_id: nurse.id, role: "nurse" } }),
    );
    await asService("sign-in", (tx) =>
      recordEvent(tx, { action: "auth.sign_in_failed", actorId: doc.id, targetUserId: doc.id, details: { reason: "bad_credentials", password: "hunter2" } as never }),
    );
    const rows = await auditRecordsSince(before);
    expect(summarize(rows)).toEqual([`read visits ${patientId}`, `care_team.changed - ${patientId}`, "auth.sign_in_failed - -"]);
    expect(rows[0]).toMatchObject({ actor_id: doc.id, request_id: ctx.requestId });
    expect(rows[0].details).toMatchObject({ records: ["v1", "v2"] });
    expect(rows[1]).toMatchObject({ actor_id: admin.id, actor_role: "admin" });
    expect(rows[2]).toMatchObject({ actor_id: doc.id, actor_role: "provider", record_id: doc.id });
    expect(rows[2].details).toMatchObject({ reason: "bad_credentials", service: true });
    expect(rows[2].details).not.toHaveProperty("password");
    expect(await failure(withUser(doc.session, (tx) => recordEvent(tx, { action: "bogus action" as never })))).toBe("22023");
  });

  it("commits a read-only request's read records asynchronously, but any audited write durably", async () => {
    const setting = (tx: Parameters<Parameters<typeof withUser>[1]>[0]) =>
      sql<{ s: string }>`select current_setting('synchronous_commit') as s`.execute(tx).then((r) => r.rows[0].s);
    const readOnly = await withUser(doc.session, async (tx) => {
      await recordRead(tx, { kind: "patient_chart", patientIds: [patientId] });
      return setting(tx);
    });
    expect(readOnly).toBe("off");
    const readThenWrite = await withUser(doc.session, async (tx) => {
      await recordRead(tx, { kind: "patient_chart", patientIds: [patientId] });
      await tx.insertInto("visits").values({ patient_id: patientId, provider_id: doc.id, visit_date: new Date(), chief_complaint: "Check" }).execute();
      return setting(tx);
    });
    expect(readThenWrite).toBe("on");
    const writeThenRead = await withUser(doc.session, async (tx) => {
      await tx.insertInto("visits").values({ patient_id: patientId, provider_id: doc.id, visit_date: new Date(), chief_complaint: "Check" }).execute();
      await recordRead(tx, { kind: "visits", patientIds: [patientId] });
      return setting(tx);
    });
    expect(writeThenRead).toBe("on");
    const eventAfterRead = await withUser(admin.session, async (tx) => {
      await recordRead(tx, { kind: "patient_chart", patientIds: [patientId] });
      await recordEvent(tx, { action: "auth.user_deactivated", targetUserId: outsiderId });
      return setting(tx);
    });
    expect(eventAfterRead).toBe("on");
  });

  it("keeps one chain consistent through a transaction that writes thousands of records", async () => {
    const before = await lastAuditId();
    await withUser(doc.session, (tx) =>
      tx
        .insertInto("care_messages")
        .values(Array.from({ length: 3000 }, (_, i) => ({ patient_id: patientId, sender_id: doc.id, message: `bulk ${i}` })))
        .execute(),
    );
    const rows = await serviceQuery(async (tx) =>
      (await sql<{ chains: string; n: string; span: string }>`
        select count(distinct chain_id)::text as chains, count(*)::text as n, (max(chain_seq) - min(chain_seq) + 1)::text as span
          from public.audit_log where id > ${before}::bigint`.execute(tx)).rows[0],
    );
    expect(rows).toEqual({ chains: "1", n: "3000", span: "3000" });
  });

  it("puts a table added later on the trail with one line, app.audit_table", async () => {
    // a migration's work: the schema's owner creates the table and puts it on the trail
    await asOwner(t, async (q) => {
      await q("create table public.test_phi_notes (note_id uuid primary key, patient_id uuid not null, body text, token_hash text)");
      await q("select app.audit_table('public.test_phi_notes', 'note_id', 'patient_id')");
    });
    const before = await lastAuditId();
    await asService("test: write", (tx) =>
      sql`insert into public.test_phi_notes values (gen_random_uuid(), ${patientId}::uuid, 'hello', 'secret'), (gen_random_uuid(), ${patientId}::uuid, 'again', 'secret')`.execute(tx),
    );
    await asService("test: write", (tx) => sql`update public.test_phi_notes set body = 'changed'`.execute(tx));
    const rows = await auditRecordsSince(before);
    expect(summarize(rows)).toEqual([0, 1, 2, 3].map((i) => `${i < 2 ? "insert" : "update"} test_phi_notes ${patientId}`));
    expect(rows[2].old_row).toMatchObject({ note_id: rows[2].record_id });
    expect(rows[2].new_row).toMatchObject({ note_id: rows[2].record_id, body: "changed" });
    expect(JSON.stringify(rows)).not.toContain("secret\"");
  });

  it("chains every record: consecutive positions, each linking to the hash before it", async () => {
    const rows = await serviceQuery(async (tx) =>
      (await sql<{ chain_id: number; chain_seq: string; prev_hash: string; hash: string }>`
        select a.chain_id, a.chain_seq::text as chain_seq, a.prev_hash, a.hash from public.audit_log a order by a.chain_id, a.chain_seq`.execute(tx)).rows,
    );
    expect(rows.length).toBeGreaterThan(10);
    let chain = -1;
    let prev = "";
    let seq = 0;
    for (const r of rows) {
      if (r.chain_id !== chain) {
        chain = r.chain_id;
        prev = "0".repeat(64);
        seq = 0;
      }
      expect(Number(r.chain_seq)).toBe(++seq);
      expect(r.prev_hash).toBe(prev);
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      prev = r.hash;
    }
  });

  describe("append-only", () => {
    const roles = [["patient", () => patientUser], ["provider", () => doc], ["admin", () => admin]] as const;
    it.each(roles)("%s cannot update, delete, truncate or insert audit rows", async (_name, who) => {
      const s = who().session;
      const id = await lastAuditId();
      expect(await failure(withUser(s, (tx) => sql`update public.audit_log set action = 'x' where id = ${id}::bigint`.execute(tx)))).toBe("42501");
      expect(await failure(withUser(s, (tx) => sql`delete from public.audit_log where id = ${id}::bigint`.execute(tx)))).toBe("42501");
      expect(await failure(withUser(s, (tx) => sql`truncate public.audit_log`.execute(tx)))).toBe("42501");
      expect(await failure(withUser(s, (tx) => sql`insert into public.audit_log (action) values ('forged')`.execute(tx)))).toBe("42501");
      expect(await failure(withUser(s, (tx) => sql`select * from app.audit_chain_heads`.execute(tx)))).toBe("42501");
      expect(await failure(withUser(s, (tx) => sql`select app.audit_write('x', null, null, null, null, null, null)`.execute(tx)))).toBe("42501");
    });

    it("even the table owner cannot change it: RLS is forced (no rows) and the triggers refuse, with its privileges given back", async () => {
      const id = await lastAuditId();
      const asTableOwner = (stmt: string) =>
        asOwner(t, async (q) => {
          await q("begin");
          try {
            await q("grant update, delete, truncate on public.audit_log, app.audit_checkpoints to current_user");
            const r = await q(stmt);
            return `ok: ${r.rowCount ?? 0} rows`;
          } catch (e) {
            return `${(e as { code?: string }).code}: ${(e as Error).message}`;
          } finally {
            await q("rollback");
          }
        });
      // PostgreSQL: forced RLS shows the owner no rows. PGlite: its owner is the superuser, whom
      // RLS never restricts, and the trigger refuses (the server never runs as it: app_runtime).
      const changedNothing = (r: string) => r === "ok: 0 rows" || r.startsWith("42501: The audit trail is append-only");
      expect(await asTableOwner(`update public.audit_log set action = 'tampered' where id = ${id}`)).toSatisfy(changedNothing);
      expect(await asTableOwner(`delete from public.audit_log where id = ${id}`)).toSatisfy(changedNothing);
      if (t.engine === "postgresql") {
        expect(await asTableOwner(`update public.audit_log set action = 'tampered' where id = ${id}`)).toBe("ok: 0 rows");
      }
      expect(await asTableOwner("truncate public.audit_log")).toMatch(/^42501: The audit trail is append-only/);
      expect(await asTableOwner("truncate app.audit_checkpoints")).toMatch(/^42501: The audit trail is append-only/);
      // the service identity has no such privileges at all
      for (const stmt of [
        sql`update public.audit_log set action = 'tampered' where id = ${id}::bigint`,
        sql`delete from public.audit_log where id = ${id}::bigint`,
        sql`truncate public.audit_log`,
      ]) {
        expect(await failure(asService("test: service tampering", (tx) => stmt.execute(tx))), stmt.compile(t.db.kysely).sql).toBe("42501");
      }
      const still = await serviceQuery(async (tx) => (await sql<{ action: string }>`select action from public.audit_log where id = ${id}::bigint`.execute(tx)).rows);
      expect(still[0].action).not.toBe("tampered");
    });
  });
});
