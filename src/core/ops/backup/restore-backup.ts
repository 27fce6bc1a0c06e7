import { createHash } from "node:crypto";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { checkpointKey } from "../../audit/checkpoint";
import { formatVerifyResult, verifyAuditTrail, type VerifyResult } from "../../audit/verify-trail";
import { MIGRATIONS_DIR } from "../../db/migrate";
import { Opener } from "../../storage/envelope";
import { ObjectIntegrityError } from "../../storage/object-store";
import {
  BackupFormatError,
  bodyKey,
  bodyLabel,
  Frame,
  FrameReader,
  type BackupEnd,
  type BackupHeader,
  type BackupManifest,
  type BodyFrame,
} from "./backup-format";
import type { CatalogTable, SequenceState } from "./database-catalog";
import { insertSql, RowLoader } from "./restore-rows";
import { applyMigrations, assertRestoreTargetEmpty, checkBackupSecret, storedNames, type RestoreTarget } from "./restore-target";

export { assertRestoreTargetEmpty, checkBackupSecret, RestoreRefusedError, type RestoreTarget } from "./restore-target";

export interface RestoreProgress {
  phase: "objects" | "database" | "checking" | "done";
  objects: number;
  objectBytes: number;
  tablesDone: number;
  tables: number;
  rows: number;
  table?: string;
  /** Bytes of the backup read so far. */
  bytesRead: number;
}

export interface RestoreSummary {
  id: string;
  createdAt: string;
  /** The engine the backup was made on. */
  engine: string;
  objects: number;
  objectBytes: number;
  /** Objects in the backup that no row names (uploads that never committed, purged meanwhile): not kept. */
  objectsDropped: number;
  tables: number;
  rows: number;
  documents: number;
  audit: VerifyResult;
}

export interface OpenedBackup {
  header: BackupHeader;
  headerBytes: Buffer;
  /** Body bytes read together with the header. */
  rest: Buffer;
  /** The remaining body. */
  source: AsyncIterator<Buffer>;
}

/**
 * Restores a backup (write-backup.ts) into an empty target: the schema the rows need (the
 * backup's migrations, which must be this version's, byte for byte), then every row in one
 * transaction with the tables' own triggers off (the audit trail's chain and guards, the
 * change capture: rows arrive exactly as they were, hashes included), sequences, and the
 * objects; then checks what it restored: every storage.objects row has its object, every
 * document's bytes match its recorded SHA-256, and the audit trail verifies. Objects no row
 * names are removed. Nothing is committed unless the whole body decrypted and verified.
 * On failure the objects written are removed; the migrated schema is not (the caller says
 * what to clear).
 */
export async function restoreBackup(backup: OpenedBackup, target: RestoreTarget, opts: { onProgress?: (p: RestoreProgress) => void } = {}): Promise<RestoreSummary> {
  checkBackupSecret(backup.header);
  await assertRestoreTargetEmpty(target);

  const progress: RestoreProgress = { phase: "objects", objects: 0, objectBytes: 0, tablesDone: 0, tables: 0, rows: 0, bytesRead: backup.headerBytes.length };
  const report = () => opts.onProgress?.({ ...progress });
  const opener = new Opener(bodyKey(), bodyLabel(backup.headerBytes));
  const reader = new FrameReader();
  const restored = new Map<string, { size: number; sha256: string }>();
  let object: { key: string; pass: PassThrough; put: Promise<void>; hash: ReturnType<typeof createHash>; size: number } | undefined;
  let load: RowLoader | undefined;
  let table: { entry: CatalogTable; insert: string; rows: number } | undefined;
  let manifest: BackupManifest | undefined;
  let end: BackupEnd | undefined;
  const damaged = (what: string) => new BackupFormatError(`The backup's body is damaged (${what}).`);
  const parse = <T>(f: BodyFrame): T => JSON.parse(f.payload.toString("utf8")) as T;

  const handle = async (f: BodyFrame) => {
    if (end) throw damaged("data after the end");
    switch (f.type) {
      case Frame.ObjectStart: {
        if (object || table) throw damaged("object inside another part");
        const { key } = parse<{ key: string }>(f);
        const pass = new PassThrough({ highWaterMark: 1024 * 1024 });
        // destroyed on failure, possibly before put() reads it: put() reports the error
        pass.on("error", () => undefined);
        const put = target.store.put(key, pass);
        put.catch(() => undefined); // observed at the object's end, or when a write waits
        object = { key, pass, put, hash: createHash("sha256"), size: 0 };
        return;
      }
      case Frame.ObjectData: {
        if (!object) throw damaged("object bytes outside an object");
        object.hash.update(f.payload);
        object.size += f.payload.length;
        if (!object.pass.write(f.payload)) await Promise.race([once(object.pass, "drain"), object.put]);
        return;
      }
      case Frame.ObjectEnd: {
        if (!object) throw damaged("object end outside an object");
        const claimed = parse<{ size: number; sha256: string }>(f);
        object.pass.end();
        await object.put;
        const sha256 = object.hash.digest("hex");
        if (claimed.size !== object.size || claimed.sha256 !== sha256) throw damaged(`object ${object.key} differs from its recorded size or hash`);
        restored.set(object.key, { size: object.size, sha256 });
        progress.objects++;
        progress.objectBytes += object.size;
        object = undefined;
        report();
        return;
      }
      case Frame.Manifest: {
        if (manifest || object) throw damaged("a second manifest");
        manifest = parse<BackupManifest>(f);
        progress.phase = "database";
        progress.tables = manifest.tables.length;
        report();
        await applyMigrations(target.db.pool, manifest.migrations, target.migrationsDir ?? MIGRATIONS_DIR);
        load = await RowLoader.begin(target.db.pool);
        const missing = manifest.tables.filter((t) => !load!.tables.has(t));
        if (missing.length) throw damaged(`tables unknown to the schema: ${missing.join(", ")}`);
        return;
      }
      case Frame.TableStart: {
        if (!load || table || object) throw damaged("table outside the database part");
        const name = parse<{ table: string }>(f).table;
        const entry = load.tables.get(name);
        if (!entry) throw damaged(`table ${name} is unknown to the schema`);
        table = { entry, insert: insertSql(entry), rows: 0 };
        progress.table = name;
        report();
        return;
      }
      case Frame.Rows: {
        if (!load || !table) throw damaged("rows outside a table");
        table.rows += await load.insert(table.insert, f.payload.toString("utf8"));
        progress.rows = load.rows;
        report();
        return;
      }
      case Frame.TableEnd: {
        if (!load || !table) throw damaged("table end outside a table");
        if (parse<{ rows: number }>(f).rows !== table.rows) throw damaged(`table ${table.entry.name} has a different number of rows than recorded`);
        table = undefined;
        progress.table = undefined;
        progress.tablesDone++;
        return;
      }
      case Frame.Sequences: {
        if (!load || table) throw damaged("sequences outside the database part");
        await load.setSequences(parse<SequenceState[]>(f));
        return;
      }
      case Frame.End: {
        if (object || table || !load) throw damaged("an early end");
        end = parse<BackupEnd>(f);
        if (end.objects !== progress.objects || end.tables !== progress.tablesDone || end.rows !== progress.rows) {
          throw damaged("counts differ from the recorded ones");
        }
        return;
      }
    }
  };
  const feed = async (sealed: Buffer) => {
    progress.bytesRead += sealed.length;
    for (const plain of opener.update(sealed)) for (const f of reader.push(plain)) await handle(f);
  };

  try {
    try {
      if (backup.rest.length) await feed(backup.rest);
      for (;;) {
        const next = await backup.source.next();
        if (next.done) break;
        await feed(next.value);
      }
      opener.final();
      reader.finish();
    } catch (e) {
      if (e instanceof ObjectIntegrityError) throw new BackupFormatError("The backup is damaged or truncated: its encrypted body does not verify.");
      throw e;
    }
    if (!end || !load) throw new BackupFormatError("The backup is truncated: it has no end.");
    await load.commit();
    load = undefined;
  } catch (e) {
    object?.pass.destroy(e as Error);
    await object?.put.catch(() => undefined);
    await load?.rollback();
    for (const key of restored.keys()) await target.store.delete(key).catch(() => undefined);
    throw e;
  }

  progress.phase = "checking";
  report();
  const { names, documents } = await storedNames(target.db.pool);
  const missing = names.filter((n) => !restored.has(n));
  if (missing.length) throw new Error(`${missing.length} stored object(s) named by the restored rows are not in the backup.`);
  const mismatched = documents.filter((d) => restored.get(d.object_key)?.sha256 !== d.sha256);
  if (mismatched.length) throw new Error(`${mismatched.length} document(s) do not match their recorded SHA-256 after the restore.`);
  const known = new Set(names);
  let dropped = 0;
  for (const key of restored.keys()) {
    if (known.has(key)) continue;
    await target.store.delete(key);
    dropped++;
  }
  const audit = await verifyAuditTrail(target.db.pool, checkpointKey());
  if (!audit.ok) throw new Error(`The restored audit trail does not verify:\n${formatVerifyResult(audit)}`);
  progress.phase = "done";
  report();
  return {
    id: backup.header.id,
    createdAt: backup.header.created_at,
    engine: backup.header.engine,
    objects: progress.objects - dropped,
    objectBytes: progress.objectBytes,
    objectsDropped: dropped,
    tables: progress.tablesDone,
    rows: progress.rows,
    documents: documents.length,
    audit,
  };
}
