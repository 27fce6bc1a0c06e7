/**
 * `npm run audit:verify` says "intact" only of a trail that exists (issue #13, item 7).
 * Before, pointed at a missing or empty database it created and migrated one (generating
 * a secret on the way) and printed "audit trail intact: 0 records" with exit code 0.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrate } from "@/core/db/migrate";
import { openDatabase } from "@/core/db/engine";
import { TEST_PG_URL } from "../support/db";
import { createEmptyPgDatabase, runScript } from "../ops/support";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "carebase-verify-empty-"));
  dirs.push(d);
  return d;
};
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const drop of drops) await drop();
});

describe("audit:verify refuses what holds no trail", () => {
  it("embedded: an empty DATA_DIR, or one that does not exist, is refused and left as it was", async () => {
    const empty = tempDir();
    let r = await runScript("audit-verify.ts", [], { DATA_DIR: empty });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/There is no embedded database in .*: nothing to verify/);
    expect(r.stdout).not.toMatch(/intact/);
    expect(readdirSync(empty)).toEqual([]); // no database created, no secret generated

    const missing = path.join(tempDir(), "not-there");
    r = await runScript("audit-verify.ts", [], { DATA_DIR: missing });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/There is no embedded database/);
    expect(existsSync(missing)).toBe(false);
  }, 60_000);

  it("embedded: a migrated database with no audit record is refused", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "secret"), randomBytes(36).toString("base64url"), { mode: 0o600 });
    const db = await openDatabase({ pgliteDir: path.join(dir, "db"), lockDir: dir });
    await migrate(db.pool);
    await db.close();
    const r = await runScript("audit-verify.ts", [], { DATA_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/found no audit records at all \(pglite\)/);
    expect(r.stdout).not.toMatch(/intact/);
  }, 60_000);

  it.skipIf(!TEST_PG_URL)("PostgreSQL: a database without the schema is refused (and not migrated); one with no audit record is refused", async () => {
    const blank = await createEmptyPgDatabase("carebase_verify_blank");
    drops.push(blank.drop);
    const secret = randomBytes(36).toString("base64url");
    let r = await runScript("audit-verify.ts", [], { DATA_DIR: tempDir(), DATABASE_URL: blank.url, CAREBASE_SECRET: secret });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds no Carebase schema: nothing to verify/);
    const c = new pg.Client({ connectionString: blank.url });
    await c.connect();
    expect((await c.query("select to_regclass('public.audit_log') as t")).rows[0].t).toBeNull();

    const pool = new pg.Pool({ connectionString: blank.url, max: 1 });
    await migrate(pool);
    await pool.end();
    r = await runScript("audit-verify.ts", [], { DATA_DIR: tempDir(), DATABASE_URL: blank.url, CAREBASE_SECRET: secret });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/found no audit records at all \(postgresql\)/);
    await c.end();
  }, 60_000);
});
