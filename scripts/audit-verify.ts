/**
 * npm run audit:verify [-- --checkpoint]
 *
 * Walks the audit trail of the configured database (DATABASE_URL, or the embedded
 * database in DATA_DIR) and exits 0 when it is intact, 1 naming the first broken record
 * when anything was altered, removed or inserted out of band, 2 when it cannot run.
 * With --checkpoint, an intact trail's chain heads are then signed (app.audit_checkpoints).
 *
 * On the embedded database this takes DATA_DIR's lock, so it refuses to run while the
 * server runs on it (two processes on one PGlite directory would corrupt it): stop the
 * server first, or use a PostgreSQL server, where it runs alongside.
 * The signing key derives from CAREBASE_SECRET (DATA_DIR/secret when embedded).
 *
 * It opens the database as it is (no migration) and refuses, with exit code 2, a database
 * that is missing, has no Carebase schema, or holds no audit record at all: "intact" is
 * said only of a trail that exists.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { assertRootSecretPresent, loadConfig, readKeyCheckFile, rootSecretKeyCheck, wrongSecretMessage, type Config } from "../src/core/config";
import { DataDirLockedError, openDatabase, takeDataDirLock, type Database } from "../src/core/db/engine";
import { checkpointKey, writeCheckpoints } from "../src/core/audit/checkpoint";
import { formatVerifyResult, verifyAuditTrail } from "../src/core/audit/verify-trail";

/** Cannot run, or nothing to verify: exit 2. */
class CannotVerify extends Error {}

/**
 * Opens the configured database as it is: no migration, nothing created. A missing
 * database is refused (it used to be created, migrated and reported "intact: 0 records").
 */
async function openExisting(config: Config): Promise<Database> {
  if (config.databaseUrl) {
    const db = await openDatabase({ url: config.databaseUrl, poolMax: 2 });
    const { rows } = await db.pool.query<{ ok: boolean }>("select to_regclass('public.audit_log') is not null as ok");
    if (!rows[0].ok) {
      await db.close();
      throw new CannotVerify("The database at DATABASE_URL holds no Carebase schema: nothing to verify (is DATABASE_URL right?).");
    }
    return db;
  }
  const dbDir = path.join(config.dataDir, "db");
  const missing = () => new CannotVerify(`There is no embedded database in ${config.dataDir}: nothing to verify (is DATA_DIR right?).`);
  if (!existsSync(config.dataDir)) throw missing();
  try {
    takeDataDirLock(config.dataDir)(); // the running server's lock comes first: say so rather than "missing"
  } catch (e) {
    if (e instanceof DataDirLockedError) throw new CannotVerify(`audit:verify cannot open the embedded database: ${e.message}`);
    throw e;
  }
  if (!existsSync(dbDir) || readdirSync(dbDir).length === 0) throw missing();
  try {
    assertRootSecretPresent(config); // the checkpoints' key: never generate a new secret to check them with
  } catch (e) {
    throw new CannotVerify(`audit:verify: ${(e as Error).message}`);
  }
  try {
    return await openDatabase({ pgliteDir: dbDir, lockDir: config.dataDir });
  } catch (e) {
    if (e instanceof DataDirLockedError) throw new CannotVerify(`audit:verify cannot open the embedded database: ${e.message}`);
    throw e;
  }
}

async function main(): Promise<number> {
  const sign = process.argv.includes("--checkpoint");
  const config = loadConfig();
  let db: Database;
  try {
    db = await openExisting(config);
  } catch (e) {
    if (e instanceof CannotVerify) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  try {
    const stored = readKeyCheckFile(config.dataDir);
    if (stored !== undefined && stored !== rootSecretKeyCheck(config)) {
      console.error(`audit:verify: ${wrongSecretMessage(`the data in ${config.dataDir}`)}`);
      return 2;
    }
    const key = checkpointKey();
    const started = performance.now();
    const result = await verifyAuditTrail(db.pool, key);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (result.ok && result.records === 0) {
      console.error(
        `audit:verify found no audit records at all (${db.kind}): this is not a Carebase database in use, or its trail was emptied. ` +
          `Nothing was verified (is ${config.databaseUrl ? "DATABASE_URL" : "DATA_DIR"} right?).`,
      );
      return 2;
    }
    (result.ok ? console.log : console.error)(`${formatVerifyResult(result)} (${seconds} s, ${db.kind})`);
    if (!result.ok) return 1;
    if (sign) console.log(`signed ${await writeCheckpoints(db.pool, key)} chain head(s).`);
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`audit:verify failed to run: ${(e as Error).message}`);
    process.exit(2);
  },
);
