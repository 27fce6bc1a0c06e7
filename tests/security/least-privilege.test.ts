/**
 * Issue #12, item 10: least-privilege database identities. Before: the runtime login owned
 * every table and RLS was forced on none, so a query outside withUser/asService read every
 * row; asService ran as that owner; audit_write believed a caller-named actor; a reviewer
 * could backdate reviewed_at. Each block below failed then.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { engines, installTestDatabase, TEST_PG_URL, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, sql, type TestUser } from "../support/seed";
import { asService, withUser } from "@/core/db/with-user";
import { enterRuntimeRole, openDatabase, PrivilegedLoginError } from "@/core/db/engine";
import { withDevice } from "@/core/vitals/with-device";
import { sha256Hex } from "@/core/auth/tokens";

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe.each(engines)("least-privilege identities on %s", (engine) => {
  let t: TestDatabase;
  let doc: TestUser;
  let patientId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    doc = await createUser("provider");
    patientId = await createPatient({ createdBy: doc.id });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("a statement outside withUser / asService reads and writes nothing (fails closed)", async () => {
    /** A raw statement on the process's own handle (no role switch, no claims), in a rolled-back transaction. */
    const raw = async (text: string, values: unknown[] = []): Promise<string> => {
      const client = await t.db.pool.connect();
      try {
        await client.query("begin");
        const r = await client.query(text, values);
        return `rows:${r.rowCount}`;
      } catch (e) {
        return (e as { code?: string }).code ?? String(e);
      } finally {
        await client.query("rollback").catch(() => {});
        client.release();
      }
    };
    // PGlite: the session runs as app_runtime, which holds no privilege ("permission denied");
    // PostgreSQL: the owner login is held to forced RLS and has no policy (no rows).
    const denied = engine === "pglite" ? "42501" : "rows:0";
    expect(await raw("select id from public.patients")).toBe(denied);
    expect(await raw("select id from auth.sessions")).toBe(denied);
    expect(await raw("select id from public.audit_log")).toBe(denied);
    expect(await raw("update public.patients set address = 'x'")).toBe(denied);
    expect(await raw("insert into public.care_messages (patient_id, sender_id, message) values ($1, $2, 'raw')", [patientId, doc.id])).toBe("42501");
    if (engine === "postgresql") expect(await raw("select app.readable_patient_ids($1)", [doc.id])).toBe("42501");
    // the same rows are there for the two ways in
    expect(await withUser(doc.session, async (tx) => (await tx.selectFrom("patients").select("id").execute()).length)).toBe(1);
    expect(await asService("test", async (tx) => (await tx.selectFrom("patients").select("id").execute()).length)).toBeGreaterThan(0);
  });

  it("asService runs as service_role, withUser as the session's role; neither as the login", async () => {
    const who = (fn: typeof asService) =>
      fn("test: who am I", async (tx) => (await sql<{ u: string }>`select current_user as u`.execute(tx)).rows[0].u);
    expect(await who(asService)).toBe("service_role");
    expect(await withUser(doc.session, async (tx) => (await sql<{ u: string }>`select current_user as u`.execute(tx)).rows[0].u)).toBe("authenticated");
    // and the service identity may not rewrite the audit trail
    expect(await code(asService("test", (tx) => sql`delete from public.audit_log`.execute(tx)))).toBe("42501");
  });

  it("an application role names no other actor and cannot forge the service path's marks in the audit trail", async () => {
    const victim = await createUser("provider");
    const token = `cbd_${randomBytes(24).toString("hex")}`;
    await serviceQuery((tx) => sql`insert into public.devices (patient_id, name, token_hash) values (${patientId}, 'Band', ${sha256Hex(token)})`.execute(tx));
    // a device has no user id in its claims: before, the actor it passed was believed
    await withDevice(token, (tx) =>
      sql`select app.record_event('auth.forged', ${victim.id}::uuid, null, null, ${JSON.stringify({ service: true, service_reason: "x", db_user: "postgres", note: "kept" })}::jsonb)`.execute(tx),
    );
    await withUser(doc.session, (tx) =>
      sql`select app.record_event('auth.forged_too', ${victim.id}::uuid, null, null, '{"service": true, "service_reason": "x"}'::jsonb)`.execute(tx),
    );
    await withUser(doc.session, (tx) =>
      sql`select app.record_read('patient_chart', array[${patientId}]::uuid[], array[${patientId}]::text[], '{"service": true, "service_reason": "x"}'::jsonb)`.execute(tx),
    );
    const rows = await serviceQuery(async (tx) =>
      (await sql<{ action: string; actor_id: string | null; details: Record<string, unknown> }>`
        select action, actor_id, details from public.audit_log
         where action in ('auth.forged', 'auth.forged_too') or (action = 'read' and details ->> 'records' like ${`%${patientId}%`} and actor_id = ${doc.id})
         order by id`.execute(tx)).rows,
    );
    const forged = rows.find((r) => r.action === "auth.forged")!;
    expect(forged.actor_id).toBeNull();
    expect(forged.details).toMatchObject({ note: "kept" });
    for (const r of rows) {
      expect(r.actor_id === null || r.actor_id === doc.id, JSON.stringify(r)).toBe(true);
      expect(Object.keys(r.details).filter((k) => ["service", "service_reason", "db_user"].includes(k)), r.action).toEqual([]);
    }
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(["auth.forged", "auth.forged_too", "read"]));
  });

  it("a review is recorded as the reviewer at the time it is made: reviewed_at cannot be backdated", async () => {
    const docId = await serviceQuery(async (tx) =>
      String((await sql<{ id: string }>`insert into public.documents (patient_id, uploaded_by, object_key, document_type, content_type, size_bytes, sha256)
        values (${patientId}, ${doc.id}, ${`${patientId}/${randomBytes(8).toString("hex")}`}, 'lab_result', 'application/pdf', 10, ${randomBytes(32).toString("hex")}) returning id`.execute(tx)).rows[0].id),
    );
    const review = (at: ReturnType<typeof sql>) =>
      withUser(doc.session, (tx) => sql`update public.documents set reviewed_by = ${doc.id}, reviewed_at = ${at} where id = ${docId}`.execute(tx));
    expect(await code(review(sql`now() - interval '30 days'`))).toBe("42501");
    expect(await code(review(sql`now()`))).toBe("ok");
    expect(await code(withUser(doc.session, (tx) => sql`update public.documents set reviewed_at = null where id = ${docId}`.execute(tx)))).toBe("42501");
  });
});

describe.runIf(TEST_PG_URL)("database logins on PostgreSQL", () => {
  const admin = () => new pg.Client({ connectionString: TEST_PG_URL });
  const created: string[] = [];
  const roles: string[] = [];
  afterAll(async () => {
    const c = new pg.Client({ connectionString: urlFor("postgres", "postgres") });
    await c.connect();
    for (const db of created) await c.query(`drop database if exists ${db} with (force)`);
    for (const r of roles) await c.query(`drop role if exists ${r}`);
    await c.end();
  });
  async function freshDatabase(owner?: string): Promise<string> {
    const name = `carebase_lp_${randomBytes(5).toString("hex")}`;
    const c = admin();
    await c.connect();
    await c.query(`create database ${name}${owner ? ` owner ${owner}` : ""}`);
    await c.end();
    created.push(name);
    return name;
  }
  const urlFor = (db: string, user?: string) => {
    const u = new URL(TEST_PG_URL!);
    u.pathname = `/${db}`;
    if (user) {
      u.username = user;
      u.password = "";
    }
    return u.toString();
  };

  it("start-up refuses a superuser login, and with ALLOW_PRIVILEGED_DATABASE_LOGIN=1 only warns", async () => {
    const db = await openDatabase({ url: urlFor(await freshDatabase(), "postgres"), poolMax: 1 });
    try {
      await expect(enterRuntimeRole(db)).rejects.toBeInstanceOf(PrivilegedLoginError);
      await expect(enterRuntimeRole(db)).rejects.toThrow(/superuser/);
      const warnings: string[] = [];
      await enterRuntimeRole(db, { allowPrivileged: true, warn: (m) => warnings.push(m) });
      expect(warnings.join(" ")).toMatch(/SECURITY WARNING/);
    } finally {
      await db.close();
    }
    // the ordinary test login passes
    const ok = await openDatabase({ url: urlFor(await freshDatabase()), poolMax: 1 });
    try {
      await expect(enterRuntimeRole(ok)).resolves.toBeUndefined();
    } finally {
      await ok.close();
    }
  });

  it("with MIGRATION_DATABASE_URL the runtime login owns nothing and still works through the two ways in", async () => {
    const suffix = randomBytes(4).toString("hex");
    const owner = `carebase_owner_${suffix}`;
    const runtime = `carebase_rt_${suffix}`;
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`create role ${owner} login createrole`);
    await c.query(`create role ${runtime} login`);
    await c.end();
    const name = await freshDatabase();
    const su = new pg.Client({ connectionString: urlFor(name, "postgres") });
    await su.connect();
    await su.query(`alter database ${name} owner to ${owner}`);
    await su.query(`alter schema public owner to ${owner}`);
    await su.end();

    roles.push(runtime, owner);
    const { initDatabase, closeDatabase } = await import("@/core/db");
    const before = { ...process.env };
    process.env.DATABASE_URL = urlFor(name, runtime);
    process.env.MIGRATION_DATABASE_URL = urlFor(name, owner);
    process.env.CAREBASE_SECRET ??= randomBytes(32).toString("base64url");
    await closeDatabase();
    try {
      const db = await initDatabase();
      const owned = await db.pool.query<{ n: number }>(
        "select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public','auth','app','storage') and pg_get_userbyid(c.relowner) = current_user",
      );
      expect(owned.rows[0].n).toBe(0);
      expect(await code(db.pool.query("select id from public.patients"))).toBe("42501");
      const u = await createUser("provider");
      const p = await createPatient({ createdBy: u.id });
      expect(await withUser(u.session, async (tx) => (await tx.selectFrom("patients").select("id").where("id", "=", p).execute()).length)).toBe(1);
      const usedBy = await asService("test", async (tx) => (await sql<{ s: string }>`select session_user as s`.execute(tx)).rows[0].s);
      expect(usedBy).toBe(runtime);
    } finally {
      await closeDatabase();
      process.env = before;
    }
  });
});
