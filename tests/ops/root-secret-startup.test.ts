/**
 * `npm start` and the root secret (issue #13, item 7), through the real entry point:
 * beside data, a missing DATA_DIR/secret is not regenerated (before, a new one was written
 * silently and every document, TOTP sign-in and checkpoint broke), and a wrong secret stops
 * start-up with one clear message, on both engines.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import { enterRuntimeRole, openDatabase } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { closeDatabase, useDatabase } from "@/core/db";
import { writeCheckpoints } from "@/core/audit/checkpoint";
import { checkRootSecret } from "@/core/config/check-root-secret";
import { loadConfig } from "@/core/config";
import { createTestDatabase, TEST_PG_URL } from "../support/db";
import { createPatient, createUser } from "../support/seed";
import { hasBuild, startServer, urlOf } from "./support";

const SECRET = randomBytes(36).toString("base64url");
process.env.CAREBASE_SECRET = SECRET; // this process writes the data under it (nothing reads it at import)

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const WRONG = randomBytes(36).toString("base64url");

/** Records and audit records, and the chain heads signed under SECRET. */
async function seedAndSign(pool: Parameters<typeof writeCheckpoints>[0]): Promise<void> {
  const admin = await createUser("admin");
  await createPatient({ createdBy: admin.id });
  expect(await writeCheckpoints(pool)).toBeGreaterThan(0);
}

describe.skipIf(!hasBuild)("npm start and the root secret", () => {
  it("embedded: a missing secret beside data is not regenerated (or withdrawn); a wrong one is named, by the key check and by the newest checkpoint", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "carebase-secret-start-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, "secret"), SECRET, { mode: 0o600 });
    const db = await openDatabase({ pgliteDir: path.join(dir, "db"), lockDir: dir });
    await migrate(db.pool);
    await enterRuntimeRole(db);
    useDatabase(db);
    await seedAndSign(db.pool);
    await checkRootSecret(db.pool, { config: loadConfig({ DATA_DIR: dir } as unknown as NodeJS.ProcessEnv) }); // as the first start does
    await closeDatabase();
    expect(existsSync(path.join(dir, "secret.check"))).toBe(true);

    // the secret file is lost
    renameSync(path.join(dir, "secret"), path.join(dir, "secret.saved"));
    let server = await startServer({ DATA_DIR: dir });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Carebase cannot start: .*secret is missing, but .* holds data encrypted under it/);
    expect(existsSync(path.join(dir, "secret"))).toBe(false); // none generated

    // a different secret: the key check in DATA_DIR names it
    writeFileSync(path.join(dir, "secret"), WRONG, { mode: 0o600 });
    server = await startServer({ DATA_DIR: dir });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Carebase cannot start: The root secret does not match the data in /);

    // without the key check, the newest signed checkpoint names it
    unlinkSync(path.join(dir, "secret.check"));
    server = await startServer({ DATA_DIR: dir });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Carebase cannot start: The root secret does not match this database/);
    expect(existsSync(path.join(dir, "secret.check"))).toBe(false); // a wrong secret's check is never recorded
    expect(readFileSync(path.join(dir, "secret"), "utf8")).toBe(WRONG);

    // a DATA_DIR from before key checks that lost its secret: the one generated at start-up is withdrawn
    unlinkSync(path.join(dir, "secret"));
    server = await startServer({ DATA_DIR: dir });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Carebase cannot start: .*secret is missing, but .* holds data encrypted under it/);
    expect(existsSync(path.join(dir, "secret"))).toBe(false);
    expect(existsSync(path.join(dir, "secret.check"))).toBe(false);
  }, 180_000);

  it.skipIf(!TEST_PG_URL)("PostgreSQL: an instance started with another CAREBASE_SECRET stops with one clear message", async () => {
    const t = await createTestDatabase("postgresql");
    cleanups.push(() => t.drop());
    useDatabase(t.db);
    await seedAndSign(t.db.pool);
    const dir = mkdtempSync(path.join(os.tmpdir(), "carebase-secret-start-pg-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await startServer({ DATA_DIR: dir, DATABASE_URL: await urlOf(t.db.pool), CAREBASE_SECRET: WRONG });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Carebase cannot start: The root secret does not match this database/);
  }, 180_000);
});
