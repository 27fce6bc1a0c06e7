/**
 * npm run backup -- FILE        (FILE "-" writes the backup to stdout)
 *
 * Backs up the configured installation while it runs: the database and the stored
 * objects, consistent with each other, in one file sealed under a key derived from the
 * root secret (docs/operations.md, "Backup and restore"). The root secret is not in it:
 * keep the secret apart, a backup opens only with it.
 *
 * - Embedded database (no DATABASE_URL): the running server holds DATA_DIR, so it is asked
 *   through DATA_DIR/control.sock; with no server running, the backup opens DATA_DIR itself.
 * - PostgreSQL: connects with MIGRATION_DATABASE_URL (else DATABASE_URL), reads every table
 *   in one snapshot, and the objects from DATA_DIR/objects or S3.
 *
 * Exit codes: 0 written, 1 failed (no file left behind), 2 usage or nothing to back up.
 */
import { readdirSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { assertRootSecretPresent, loadConfig, type Config } from "../src/core/config";
import { checkRootSecret } from "../src/core/config/check-root-secret";
import { DataDirLockedError, openDatabase } from "../src/core/db/engine";
import { objectStore } from "../src/core/storage";
import { ControlSocketUnavailableError, requestBackupFromServer } from "../src/core/ops/backup/control-socket";
import { describeBackupProgress, progressPrinter } from "../src/core/ops/backup/progress-printer";
import { writeBackup, type BackupProgress, type BackupSink, type BackupSummary } from "../src/core/ops/backup/write-backup";

class UsageError extends Error {}

interface Output {
  sink: BackupSink;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Written next to FILE under a temporary name (0600), made durable, then renamed: FILE is whole or absent. */
async function openOutput(file: string): Promise<Output> {
  if (file === "-") {
    if (process.stdout.isTTY) throw new UsageError("Refusing to write a backup to a terminal: redirect stdout, or give a FILE.");
    return {
      sink: (chunk) =>
        new Promise((resolve, reject) => {
          process.stdout.write(chunk, (e) => (e ? reject(e) : resolve()));
        }),
      commit: async () => {},
      abort: async () => {},
    };
  }
  const final = path.resolve(file);
  await mkdir(path.dirname(final), { recursive: true });
  const tmp = path.join(path.dirname(final), `.${path.basename(final)}.partial-${process.pid}`);
  const fh = await open(tmp, "wx", 0o600);
  let closed = false;
  return {
    sink: async (chunk) => {
      let off = 0;
      while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
    },
    commit: async () => {
      await fh.sync();
      await fh.close();
      closed = true;
      await rename(tmp, final);
      const dir = await open(path.dirname(final), "r");
      await dir.sync().catch(() => undefined);
      await dir.close();
    },
    abort: async () => {
      if (!closed) await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
}

function hasEntries(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

async function backupEmbedded(config: Config, sink: BackupSink, onProgress: (p: BackupProgress) => void): Promise<BackupSummary> {
  const dbDir = path.join(config.dataDir, "db");
  if (!hasEntries(dbDir)) throw new UsageError(`There is no embedded database in ${config.dataDir}: nothing to back up (is DATA_DIR right?).`);
  assertRootSecretPresent(config); // the request to the server is signed with it; never generate one here
  try {
    return await requestBackupFromServer(config.dataDir, sink, onProgress);
  } catch (e) {
    if (!(e instanceof ControlSocketUnavailableError)) throw e;
  }
  // No server answers: open DATA_DIR ourselves (its lock keeps a server from starting meanwhile).
  let db;
  try {
    db = await openDatabase({ pgliteDir: dbDir, lockDir: config.dataDir });
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      throw new Error(`${e.message} It does not answer on ${path.join(config.dataDir, "control.sock")} either (an older version?): stop it, then run the backup again.`);
    }
    throw e;
  }
  try {
    await checkRootSecret(db.pool, { config, record: false });
    return await writeBackup(db, objectStore(), sink, { onProgress });
  } finally {
    await db.close();
  }
}

async function backupPostgres(config: Config, sink: BackupSink, onProgress: (p: BackupProgress) => void): Promise<BackupSummary> {
  const db = await openDatabase({ url: config.migrationDatabaseUrl ?? config.databaseUrl, poolMax: 2 });
  try {
    const { rows } = await db.pool.query<{ ok: boolean }>("select to_regclass('app.schema_migrations') is not null as ok");
    if (!rows[0].ok) throw new UsageError("The database at DATABASE_URL holds no Carebase schema: nothing to back up.");
    // a backup sealed under a wrong secret would open nowhere: check it against the database first
    await checkRootSecret(db.pool, { config, record: false });
    return await writeBackup(db, objectStore(), sink, { onProgress });
  } finally {
    await db.close();
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  if (args.length !== 1 || (args[0].startsWith("-") && args[0] !== "-")) {
    console.error("usage: npm run backup -- FILE   (FILE - writes to stdout)");
    return 2;
  }
  const config = loadConfig();
  const progress = progressPrinter("backup", describeBackupProgress);
  let out: Output | undefined;
  try {
    out = await openOutput(args[0]);
    const started = performance.now();
    const summary = config.databaseUrl ? await backupPostgres(config, out.sink, progress.update) : await backupEmbedded(config, out.sink, progress.update);
    await out.commit();
    progress.end();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.error(
      `backup written${args[0] === "-" ? " to stdout" : `: ${path.resolve(args[0])}`} — ${summary.engine}, ${summary.rows} rows in ${summary.tables} tables, ` +
        `${summary.objects} objects (${(summary.objectBytes / 1024 / 1024).toFixed(1)} MB), ${(summary.bytes / 1024 / 1024).toFixed(1)} MB in ${seconds} s. ` +
        `It opens only with this installation's root secret: keep the secret safe, apart from the backups.`,
    );
    return 0;
  } catch (e) {
    progress.end();
    await out?.abort();
    console.error(`backup failed: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

// The embedded engine (WebAssembly) can stop with work pending: then nothing is left to run,
// Node would exit silently with the status the engine set. Say so instead.
let finished = false;
process.on("beforeExit", () => {
  if (finished) return;
  console.error(`backup failed: it stopped unexpectedly with work pending (the embedded database engine exited${process.exitCode ? ` with status ${process.exitCode}` : ""}).`);
  process.exit(1);
});

main().then(
  (code) => {
    finished = true;
    process.exit(code);
  },
  (e) => {
    console.error(`backup failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
