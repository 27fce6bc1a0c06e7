import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, TEST_PG_URL, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser } from "../support/seed";
import { withUser } from "@/core/db/with-user";
import { recordRead } from "@/core/audit/record";
import { checkpointKey, writeCheckpoints } from "@/core/audit/checkpoint";
import { verifyAuditTrail, type VerifyResult } from "@/core/audit/verify-trail";
import { takeDataDirLock } from "@/core/db/engine";
import { asSuperuser, tamper } from "./support";

const run = promisify(execFile);

describe.each(engines)("audit:verify on %s", (engine) => {
  let t: TestDatabase;
  const key = checkpointKey();
  const verify = (): Promise<VerifyResult> => verifyAuditTrail(t.db.pool, key, { pageSize: 7 }); // small pages: the paging is walked too

  /** The busiest chain and its records, as a superuser sees them. */
  async function chainRecords(): Promise<Array<{ id: string; chain_id: number; chain_seq: string; row: Record<string, unknown> }>> {
    return asSuperuser(t, async (q) => {
      const { rows } = await q(`
        select a.id::text as id, a.chain_id, a.chain_seq::text as chain_seq, to_jsonb(a) as row
          from public.audit_log a
         where a.chain_id = (select chain_id from public.audit_log group by chain_id order by count(*) desc limit 1)
         order by a.chain_seq`);
      return rows;
    });
  }
  const restore = (row: Record<string, unknown>): [string, unknown[]] => [
    "insert into public.audit_log overriding system value select * from jsonb_populate_record(null::public.audit_log, $1::jsonb)",
    [JSON.stringify(row)],
  ];

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    const doc = await createUser("provider");
    const nurse = await createUser("provider");
    const patient = await createPatient({ createdBy: doc.id });
    await addToCareTeam(patient, nurse.id, "nurse");
    // concurrent writers: on PostgreSQL they spread over several chains
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withUser(i % 2 ? doc.session : nurse.session, async (tx) => {
          await tx.insertInto("care_messages").values({ patient_id: patient, sender_id: i % 2 ? doc.id : nurse.id, message: `note ${i}` }).execute();
          await recordRead(tx, { kind: "messages", patientIds: [patient] });
        }),
      ),
    );
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("passes on an untouched trail, before and after signing checkpoints", async () => {
    const first = await verify();
    expect(first.problems).toEqual([]);
    expect(first.ok).toBe(true);
    expect(first.records).toBeGreaterThan(15);
    expect(await writeCheckpoints(t.db.pool, key)).toBeGreaterThan(0);
    expect(await writeCheckpoints(t.db.pool, key)).toBe(0); // nothing moved since
    const second = await verify();
    expect(second.ok).toBe(true);
    expect(second.checkpoints).toBeGreaterThan(0);
  });

  it("fails after a record is edited, naming it; passes again once restored", async () => {
    const recs = await chainRecords();
    const victim = recs[2];
    await tamper(t, [["update public.audit_log set actor_role = 'admin' where id = $1", [victim.id]]]);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBrokenRecordId).toBe(victim.id);
    expect(r.problems.map((p) => p.reason)).toContain(`record ${victim.id} does not match its hash (altered)`);
    await tamper(t, [["update public.audit_log set actor_role = $2 where id = $1", [victim.id, victim.row.actor_role]]]);
    expect((await verify()).ok).toBe(true);
  });

  it("fails after a record in the middle of a chain is deleted, naming the record after the gap", async () => {
    const recs = await chainRecords();
    const victim = recs[1];
    await tamper(t, [["delete from public.audit_log where id = $1", [victim.id]]]);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.firstBrokenRecordId).toBe(recs[2].id);
    expect(r.problems[0].reason).toMatch(new RegExp(`position ${victim.chain_seq} missing before record ${recs[2].id}`));
    await tamper(t, [restore(victim.row)]);
    expect((await verify()).ok).toBe(true);
  });

  it("fails after the end of a chain is cut, even when the head is rewound to match (the checkpoint catches it)", async () => {
    const recs = await chainRecords();
    const last = recs[recs.length - 1];
    const before = recs[recs.length - 2];
    await tamper(t, [["delete from public.audit_log where id = $1", [last.id]]]);
    let r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.reason).join("\n")).toMatch(/records removed from the end/);
    // a careful attacker rewinds the head too; the signed checkpoint still names the gap
    await tamper(t, [["update app.audit_chain_heads set seq = $2, hash = $3 where chain_id = $1", [last.chain_id, before.chain_seq, before.row.hash]]]);
    r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.reason).join("\n")).toMatch(new RegExp(`position ${last.chain_seq}, signed by checkpoint \\d+, is missing`));
    await tamper(t, [restore(last.row), ["update app.audit_chain_heads set seq = $2, hash = $3 where chain_id = $1", [last.chain_id, last.chain_seq, last.row.hash]]]);
    expect((await verify()).ok).toBe(true);
  });

  it("fails after a record is inserted out of band, with the triggers off", async () => {
    const recs = await chainRecords();
    const last = recs[recs.length - 1];
    const forged = (seq: number, chain = last.chain_id) => [
      `insert into public.audit_log (actor_role, action, table_name, chain_id, chain_seq, prev_hash, hash)
       values ('admin', 'read', 'visits', $1, $2, $3, repeat('a', 64)) returning id`,
      [chain, seq, last.row.hash],
    ] as [string, unknown[]];
    await tamper(t, [forged(Number(last.chain_seq) + 1)]);
    let r = await verify();
    expect(r.ok).toBe(false);
    const reasons = r.problems.map((p) => p.reason).join("\n");
    expect(reasons).toMatch(/does not match its hash/);
    expect(reasons).toMatch(/does not match the last record/);
    await tamper(t, [["delete from public.audit_log where action = 'read' and hash = repeat('a', 64)"]]);
    expect((await verify()).ok).toBe(true);
    // a record on no chain at all
    await tamper(t, [forged(1, 77)]);
    r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems[0].reason).toMatch(/is on no chain \(inserted out of band\)/);
    await tamper(t, [["delete from public.audit_log where chain_id = 77"]]);
    expect((await verify()).ok).toBe(true);
  });

  it("fails while an audit trigger is disabled, and on a forged checkpoint", async () => {
    await asSuperuser(t, (q) => q("alter table public.visits disable trigger visits_audit_insert"));
    let r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems[0].reason).toBe("audit trigger visits_audit_insert on public.visits is disabled");
    await asSuperuser(t, (q) => q("alter table public.visits enable trigger visits_audit_insert"));
    expect((await verify()).ok).toBe(true);

    await tamper(t, [[
      `insert into app.audit_checkpoints (created_at, chain_id, chain_seq, hash, hmac)
       select now(), chain_id, chain_seq, hash, repeat('b', 64) from public.audit_log order by id desc limit 1`,
    ]]);
    r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems[0].reason).toMatch(/checkpoint \d+ has an invalid signature/);
    await tamper(t, [["delete from app.audit_checkpoints where hmac = repeat('b', 64)"]]);
    expect((await verify()).ok).toBe(true);
  });

  it.skipIf(engine !== "postgresql")("npm run audit:verify exits 0 when intact and 1 naming the first broken record", async () => {
    const { rows } = await t.db.pool.query<{ db: string }>("select current_database() as db");
    const url = new URL(TEST_PG_URL!);
    url.pathname = `/${rows[0].db}`;
    const env = { ...process.env, DATABASE_URL: url.toString(), CAREBASE_SECRET: undefined as string | undefined };
    // the same key as this process: the secret file the test suite uses
    env.CAREBASE_SECRET = (await import("@/core/config")).rootSecret().toString("utf8");
    const script = path.resolve("scripts/audit-verify.ts");
    const ok = await run("npx", ["tsx", script], { env });
    expect(ok.stdout).toMatch(/audit trail intact/);
    const recs = await chainRecords();
    await tamper(t, [["update public.audit_log set ip = '198.51.100.1' where id = $1", [recs[0].id]]]);
    const bad = await run("npx", ["tsx", script], { env }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`First broken record: id ${recs[0].id}.`);
    await tamper(t, [["update public.audit_log set ip = $2 where id = $1", [recs[0].id, recs[0].row.ip]]]);
  });

  it.skipIf(engine !== "pglite")("audit:verify refuses the embedded database while another process holds it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "carebase-verify-"));
    const release = takeDataDirLock(dir);
    try {
      const res = await run("npx", ["tsx", path.resolve("scripts/audit-verify.ts")], { env: { ...process.env, DATA_DIR: dir, DATABASE_URL: "" } }).then(
        () => ({ code: 0, stderr: "" }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/cannot open the embedded database: Another Carebase process/);
    } finally {
      release();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
