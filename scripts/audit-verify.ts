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
 */
import { initDatabase, closeDatabase } from "../src/core/db";
import { DataDirLockedError } from "../src/core/db/engine";
import { checkpointKey, writeCheckpoints } from "../src/core/audit/checkpoint";
import { formatVerifyResult, verifyAuditTrail } from "../src/core/audit/verify-trail";

async function main(): Promise<number> {
  const sign = process.argv.includes("--checkpoint");
  let db;
  try {
    db = await initDatabase();
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      console.error(`audit:verify cannot open the embedded database: ${e.message}`);
      return 2;
    }
    throw e;
  }
  try {
    const key = checkpointKey();
    const started = performance.now();
    const result = await verifyAuditTrail(db.pool, key);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    (result.ok ? console.log : console.error)(`${formatVerifyResult(result)} (${seconds} s, ${db.kind})`);
    if (!result.ok) return 1;
    if (sign) console.log(`signed ${await writeCheckpoints(db.pool, key)} chain head(s).`);
    return 0;
  } finally {
    await closeDatabase();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`audit:verify failed to run: ${(e as Error).message}`);
    process.exit(2);
  },
);
