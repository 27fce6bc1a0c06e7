import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { rootSecretKeyCheck } from "../../config";
import type { Database } from "../../db/engine";
import { migrate } from "../../db/migrate";
import { becomeService } from "../../db/with-user";
import type { ObjectStore } from "../../storage/object-store";
import { BackupFormatError, type BackupHeader, type MigrationEntry } from "./backup-format";
import { countApplicationRelations } from "./database-catalog";

/**
 * What a restore checks about where it writes and what it writes with, before and after
 * the rows (restoreBackup in restore-backup.ts): the root secret, an empty target, this
 * version's migrations byte for byte, and the names the restored rows point at.
 */

/** The restore will not run: nothing was written. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RestoreRefusedError";
  }
}

export interface RestoreTarget {
  /**
   * The target database, opened as the login that will own the schema (PostgreSQL: the
   * migration login; embedded: its superuser session), empty and not migrated.
   */
  db: Database;
  /** The target object store, empty. */
  store: ObjectStore;
  /** Where this version's migrations are (default db/migrations). */
  migrationsDir?: string;
}

/** Refuses a backup made under another root secret, before anything is decrypted or written. */
export function checkBackupSecret(header: BackupHeader): void {
  if (header.key_check !== rootSecretKeyCheck()) {
    throw new RestoreRefusedError(
      "This backup was made under a different root secret than the one configured here (CAREBASE_SECRET or DATA_DIR/secret). " +
        "Put back the secret of the installation the backup came from, then restore again.",
    );
  }
}

/** Refuses a target that holds anything: a restore never merges into data. */
export async function assertRestoreTargetEmpty(target: RestoreTarget): Promise<void> {
  const client = await target.db.pool.connect();
  let relations: number;
  try {
    relations = await countApplicationRelations(client);
  } finally {
    client.release();
  }
  if (relations > 0) {
    throw new RestoreRefusedError(
      "The target database already holds Carebase tables. A restore writes only into an empty database: " +
        "create a new one (or drop and recreate this one if its data is expendable), then restore again.",
    );
  }
  for await (const _object of target.store.list()) {
    throw new RestoreRefusedError("The target object store already holds objects. A restore writes only into an empty store.");
  }
}

export /** Applies exactly the backup's migrations, each of which must be this version's file, byte for byte. */
async function applyMigrations(pool: pg.Pool, wanted: MigrationEntry[], dir: string): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "carebase-restore-migrations-"));
  try {
    for (const m of wanted) {
      if (!/^\d{4}_[a-z0-9_]+\.sql$/.test(m.name)) throw new BackupFormatError("The backup's body is damaged (a migration name).");
      let text: string;
      try {
        text = await readFile(path.join(dir, m.name), "utf8");
      } catch {
        throw new RestoreRefusedError(
          `The backup's database has migration ${m.name}, which this version of Carebase does not have: restore with the version that made the backup, or a newer one.`,
        );
      }
      if (createHash("sha256").update(text).digest("hex") !== m.checksum) {
        throw new RestoreRefusedError(`Migration ${m.name} here differs from the one the backup's database applied: restore with the version that made the backup.`);
      }
      await writeFile(path.join(tmp, m.name), text);
    }
    await migrate(pool, tmp);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function storedNames(pool: pg.Pool): Promise<{ names: string[]; documents: { object_key: string; sha256: string }[] }> {
  const client = await pool.connect();
  try {
    await client.query("begin read only");
    await becomeService(client, "restore: check every row's object");
    const { rows: objects } = await client.query<{ name: string }>("select name from storage.objects");
    const { rows: documents } = await client.query<{ object_key: string; sha256: string }>("select object_key, sha256 from public.documents");
    await client.query("commit");
    return { names: objects.map((o) => o.name), documents };
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
