/**
 * The root secret is never regenerated beside data, and a wrong one stops start-up with one
 * clear error (issue #13, item 7). Before: rootSecret() wrote a new DATA_DIR/secret whenever
 * the file was missing, and nothing compared a secret with the data it should open.
 */
import { hkdfSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertRootSecretPresent, keyCheckOf, loadConfig, readKeyCheckFile, rootSecret, RootSecretError, rootSecretKeyCheck } from "./index";
import { checkRootSecret } from "./check-root-secret";
import { writeCheckpoints } from "../audit/checkpoint";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { createPatient, createUser } from "../../../tests/support/seed";

const forget = () => {
  (globalThis as unknown as Record<symbol, unknown>)[Symbol.for("carebase.secret")] = undefined;
};
const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "carebase-secret-"));
  dirs.push(d);
  return d;
}
const configFor = (dir: string) => loadConfig({ DATA_DIR: dir } as unknown as NodeJS.ProcessEnv);
const noEnv = {} as NodeJS.ProcessEnv;

afterEach(forget);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("rootSecret: generated once, and only into a DATA_DIR without data", () => {
  it("generates a 0600 secret into an empty DATA_DIR, with its key check, and keeps it", () => {
    const dir = dataDir();
    const first = rootSecret(configFor(dir), noEnv);
    expect(statSync(path.join(dir, "secret")).mode & 0o777).toBe(0o600);
    expect(readKeyCheckFile(dir)).toBe(keyCheckOf(first));
    forget();
    expect(rootSecret(configFor(dir), noEnv).equals(first)).toBe(true);
  });

  it.each([
    ["stored objects", (d: string) => (mkdirSync(path.join(d, "objects")), mkdirSync(path.join(d, "objects", "11111111-1111-4111-8111-111111111111")))],
    ["the key check of the secret that was there", (d: string) => writeFileSync(path.join(d, "secret.check"), "v1:00\n")],
  ])("refuses to generate one beside %s: one clear error, no new file", (_what, seed) => {
    const dir = dataDir();
    seed(dir);
    let error: unknown;
    try {
      rootSecret(configFor(dir), noEnv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RootSecretError);
    expect((error as Error).message).toMatch(/secret is missing, but .* holds data encrypted under it/);
    expect((error as Error).message).toMatch(/Put the secret file back .* or set CAREBASE_SECRET/);
    expect(existsSync(path.join(dir, "secret"))).toBe(false);
  });

  it("the tools that never generate one say so", () => {
    const dir = dataDir();
    expect(() => assertRootSecretPresent(configFor(dir), noEnv)).toThrow(/secret is missing: put the root secret back .* never generates one/);
    expect(existsSync(path.join(dir, "secret"))).toBe(false);
  });

  it("CAREBASE_SECRET still serves a DATA_DIR with data and no secret file", () => {
    const dir = dataDir();
    mkdirSync(path.join(dir, "db"));
    writeFileSync(path.join(dir, "db", "PG_VERSION"), "18");
    const env = { CAREBASE_SECRET: "x".repeat(40) } as unknown as NodeJS.ProcessEnv;
    expect(rootSecret(configFor(dir), env).toString()).toBe("x".repeat(40));
  });

  it("refuses an emptied secret file instead of running on a short key", () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, "secret"), "\n", { mode: 0o600 });
    expect(() => rootSecret(configFor(dir), noEnv)).toThrow(/holds no usable secret/);
  });

  it("the key check tells secrets apart without containing them", () => {
    const a = Buffer.from(randomBytes(48).toString("base64url"));
    const b = Buffer.from(randomBytes(48).toString("base64url"));
    expect(keyCheckOf(a)).toBe(keyCheckOf(Buffer.from(a)));
    expect(keyCheckOf(a)).not.toBe(keyCheckOf(b));
    expect(keyCheckOf(a)).toMatch(/^v1:[0-9a-f]{64}$/);
    expect(keyCheckOf(a)).not.toContain(a.toString("hex"));
  });
});

describe.each(engines)("checkRootSecret at start-up on %s", (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("records the key check at the first start, then refuses another secret with one clear message", async () => {
    rootSecret();
    const dir = dataDir();
    const config = configFor(dir);
    await checkRootSecret(t.db.pool, { config, usesDataDir: true });
    expect(readKeyCheckFile(dir)).toBe(rootSecretKeyCheck(config));
    await checkRootSecret(t.db.pool, { config, usesDataDir: true }); // the same secret: fine

    writeFileSync(path.join(dir, "secret.check"), `${keyCheckOf(Buffer.from("another secret of at least thirty-two chars"))}\n`);
    await expect(checkRootSecret(t.db.pool, { config, usesDataDir: true })).rejects.toThrow(
      /^The root secret does not match the data in .* CAREBASE_SECRET \(or DATA_DIR\/secret\) is not the secret this data was written with/,
    );
  });

  it("refuses a secret under which the database's newest audit checkpoint does not verify", async () => {
    rootSecret(); // this process's secret, as server.ts settles it first
    const admin = await createUser("admin");
    await createPatient({ createdBy: admin.id }); // audit records, so that a chain head moves
    const otherSecret = Buffer.from(randomBytes(48).toString("base64url"));
    const otherKey = Buffer.from(hkdfSync("sha256", otherSecret, "carebase", "carebase:audit-checkpoint", 32));
    expect(await writeCheckpoints(t.db.pool, otherKey)).toBeGreaterThan(0);

    const dir = dataDir(); // a new instance: no key check of its own (PostgreSQL with S3, say)
    const error = await checkRootSecret(t.db.pool, { config: configFor(dir), usesDataDir: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RootSecretError);
    expect((error as Error).message).toMatch(/^The root secret does not match this database: .*newest signed audit checkpoint does not verify/);
    expect(existsSync(path.join(dir, "secret.check"))).toBe(false);

    // signed under this process's secret again: accepted
    await writeCheckpoints(t.db.pool);
    await createPatient({ createdBy: admin.id });
    await writeCheckpoints(t.db.pool);
    await expect(checkRootSecret(t.db.pool, { config: configFor(dir), usesDataDir: false })).resolves.toBeUndefined();
  });

  it("withdraws a secret generated beside a database written under another one (a DATA_DIR from before key checks)", async () => {
    // the database's newest checkpoint is signed under this process's secret (test above);
    // DATA_DIR has lost its secret file and has no key check: start-up generates one...
    const dir = dataDir();
    mkdirSync(path.join(dir, "db"));
    writeFileSync(path.join(dir, "db", "PG_VERSION"), "18");
    forget();
    const generated = rootSecret(configFor(dir), noEnv);
    expect(existsSync(path.join(dir, "secret"))).toBe(true);
    // ...and the check against the database withdraws it, with the message for a missing secret
    const error = await checkRootSecret(t.db.pool, { config: configFor(dir), usesDataDir: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RootSecretError);
    expect((error as Error).message).toMatch(/secret is missing, but .* holds data encrypted under it/);
    expect(existsSync(path.join(dir, "secret"))).toBe(false);
    expect(existsSync(path.join(dir, "secret.check"))).toBe(false);
    forget();
    expect(rootSecret().equals(generated)).toBe(false);
  });
});
