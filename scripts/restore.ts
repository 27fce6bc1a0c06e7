/**
 * npm run restore -- FILE        (FILE "-" reads the backup from stdin)
 *
 * Restores a backup made by `npm run backup` into an EMPTY target, then checks it (every
 * document's bytes against its SHA-256, the audit trail with audit:verify's walk):
 *
 * - Embedded database (no DATABASE_URL): DATA_DIR must hold nothing but the root secret
 *   (DATA_DIR/secret, and its secret.check), or nothing at all with CAREBASE_SECRET set.
 *   The server must be stopped. The restore builds the database and objects in a staging
 *   directory inside DATA_DIR and moves them into place only when all of it verified.
 * - PostgreSQL: DATABASE_URL (or MIGRATION_DATABASE_URL, which then owns the schema) must
 *   name a new, empty database; the object store (DATA_DIR/objects or the S3 bucket) must
 *   be empty. CAREBASE_SECRET must be set.
 *
 * The secret must be the one the backup was made under: put it back first. A restore
 * never generates one, and refuses a target that holds data.
 *
 * Exit codes: 0 restored and verified, 1 failed, 2 refused (nothing written) or usage.
 */
import { createReadStream, existsSync, readdirSync, renameSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { keyCheckOf, KEY_CHECK_FILE, loadConfig, readKeyCheckFile, rootSecret, rootSecretKeyCheck, SECRET_FILE, writeKeyCheckFile, type Config } from "../src/core/config";
import { DataDirLockedError, openDatabase, takeDataDirLock } from "../src/core/db/engine";
import { objectStore } from "../src/core/storage";
import { loadStorageConfig } from "../src/core/storage/config";
import { LocalObjectStore } from "../src/core/storage/local-store";
import { S3ObjectStore } from "../src/core/storage/s3-store";
import { readHeader } from "../src/core/ops/backup/backup-format";
import { countApplicationRelations } from "../src/core/ops/backup/database-catalog";
import { describeRestoreProgress, progressPrinter } from "../src/core/ops/backup/progress-printer";
import { checkBackupSecret, restoreBackup, RestoreRefusedError, type OpenedBackup, type RestoreProgress, type RestoreSummary } from "../src/core/ops/backup/restore-backup";

/** What may be in DATA_DIR before an embedded restore: the secret, its check, and our own lock. */
const ALLOWED_IN_DATA_DIR = new Set([SECRET_FILE, KEY_CHECK_FILE, "db.lock"]);

async function restoreEmbedded(config: Config, backup: OpenedBackup, onProgress: (p: RestoreProgress) => void): Promise<RestoreSummary> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  let release: () => void;
  try {
    release = takeDataDirLock(config.dataDir);
  } catch (e) {
    if (e instanceof DataDirLockedError) throw new RestoreRefusedError(`${e.message} Stop the server before restoring.`);
    throw e;
  }
  try {
    const others = readdirSync(config.dataDir).filter((n) => !ALLOWED_IN_DATA_DIR.has(n));
    if (others.length) {
      throw new RestoreRefusedError(
        `${config.dataDir} holds ${others.sort().join(", ")}: a restore writes only into a DATA_DIR that holds nothing but the root secret. ` +
          `Move its contents away (or point DATA_DIR at a new directory with the secret in it), then restore again.`,
      );
    }
    const staging = path.join(config.dataDir, `.restore-${process.pid}`);
    await mkdir(staging, { mode: 0o700 });
    const storage = loadStorageConfig();
    const store = storage.driver === "s3" ? new S3ObjectStore(storage.s3!) : new LocalObjectStore(path.join(staging, "objects"));
    let summary: RestoreSummary;
    try {
      const db = await openDatabase({ pgliteDir: path.join(staging, "db"), lockDir: staging });
      try {
        summary = await restoreBackup(backup, { db, store }, { onProgress });
      } finally {
        await db.close();
      }
      // all of it verified: move it into place (same file system: two renames)
      renameSync(path.join(staging, "db"), path.join(config.dataDir, "db"));
      if (existsSync(path.join(staging, "objects"))) renameSync(path.join(staging, "objects"), path.join(config.dataDir, "objects"));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    writeKeyCheckFile(config.dataDir, rootSecretKeyCheck(config));
    return summary;
  } finally {
    release();
  }
}

async function restorePostgres(config: Config, backup: OpenedBackup, onProgress: (p: RestoreProgress) => void): Promise<RestoreSummary> {
  const db = await openDatabase({ url: config.migrationDatabaseUrl ?? config.databaseUrl, poolMax: 2 });
  let started = false;
  try {
    const summary = await restoreBackup(backup, { db, store: objectStore() }, {
      onProgress: (p) => {
        if (p.phase !== "objects") started = true;
        onProgress(p);
      },
    });
    if (loadStorageConfig().driver === "local") writeKeyCheckFile(config.dataDir, rootSecretKeyCheck(config));
    return summary;
  } catch (e) {
    if (started && !(e instanceof RestoreRefusedError)) {
      const client = await db.pool.connect().catch(() => undefined);
      const left = client ? await countApplicationRelations(client).catch(() => 0) : 0;
      client?.release();
      if (left) (e as Error).message += " The target database now holds part of the schema: drop and recreate it before restoring again.";
    }
    throw e;
  } finally {
    await db.close();
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  if (args.length !== 1 || (args[0].startsWith("-") && args[0] !== "-")) {
    console.error("usage: npm run restore -- FILE   (FILE - reads from stdin)");
    return 2;
  }
  const config = loadConfig();
  const progress = progressPrinter("restore", describeRestoreProgress);
  try {
    // The secret first: a restore never generates one (the backup opens only with the original).
    if (!process.env.CAREBASE_SECRET) {
      if (config.databaseUrl) throw new RestoreRefusedError("Set CAREBASE_SECRET to the root secret of the installation the backup came from.");
      if (!existsSync(path.join(config.dataDir, SECRET_FILE))) {
        throw new RestoreRefusedError(
          `Put the root secret back first: ${path.join(config.dataDir, SECRET_FILE)} (0600), or CAREBASE_SECRET — the one of the installation the backup came from.`,
        );
      }
    }
    const secretCheck = keyCheckOf(rootSecret(config));
    const stored = readKeyCheckFile(config.dataDir);
    if (stored !== undefined && stored !== secretCheck) {
      throw new RestoreRefusedError(`The root secret here does not match ${path.join(config.dataDir, KEY_CHECK_FILE)}: put back the right secret (or remove that stale check with its DATA_DIR).`);
    }
    if (args[0] !== "-" && !existsSync(args[0])) throw new RestoreRefusedError(`${args[0]}: no such file.`);
    const input = args[0] === "-" ? process.stdin : createReadStream(args[0], { highWaterMark: 1024 * 1024 });
    const source = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const { header, headerBytes, rest } = await readHeader(source);
    checkBackupSecret(header);
    console.error(`restoring backup ${header.id} made ${header.created_at} on ${header.engine} into ${config.databaseUrl ? "the PostgreSQL database" : config.dataDir}`);
    const backup: OpenedBackup = { header, headerBytes, rest, source };
    const started = performance.now();
    const summary = config.databaseUrl ? await restorePostgres(config, backup, progress.update) : await restoreEmbedded(config, backup, progress.update);
    progress.end();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.error(
      `restored in ${seconds} s: ${summary.rows} rows in ${summary.tables} tables, ${summary.objects} objects, ${summary.documents} documents matching their SHA-256` +
        `${summary.objectsDropped ? ` (${summary.objectsDropped} object(s) no row named were left out)` : ""}; ` +
        `audit trail intact: ${summary.audit.records} records, ${summary.audit.checkpoints} signed checkpoints. Start the server (npm start).`,
    );
    return 0;
  } catch (e) {
    progress.end();
    console.error(`restore ${e instanceof RestoreRefusedError ? "refused" : "failed"}: ${(e as Error).message}`);
    return e instanceof RestoreRefusedError ? 2 : 1;
  }
}

// The embedded engine (WebAssembly) can stop with work pending: then nothing is left to run,
// Node would exit silently with the status the engine set. Say so instead.
let finished = false;
process.on("beforeExit", () => {
  if (finished) return;
  console.error(`restore failed: it stopped unexpectedly with work pending (the embedded database engine exited${process.exitCode ? ` with status ${process.exitCode}` : ""}).`);
  process.exit(1);
});

main().then(
  (code) => {
    finished = true;
    process.exit(code);
  },
  (e) => {
    console.error(`restore failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
