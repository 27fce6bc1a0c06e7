import { createHash, randomUUID } from "node:crypto";
import type pg from "pg";
import { rootSecretKeyCheck } from "../../config";
import type { Database } from "../../db/engine";
import { becomeService } from "../../db/with-user";
import { Sealer } from "../../storage/envelope";
import { ObjectMissingError, type ObjectStore } from "../../storage/object-store";
import {
  bodyKey,
  bodyLabel,
  encodeFrame,
  encodeHeader,
  Frame,
  jsonFrame,
  quoteQualified,
  type BackupEnd,
  type BackupHeader,
  type BackupManifest,
  type FrameType,
  type MigrationEntry,
} from "./backup-format";
import { listSequences, listTables, readSequences } from "./database-catalog";

export interface BackupProgress {
  phase: "objects" | "database" | "late objects" | "done";
  objects: number;
  objectBytes: number;
  /** Objects listed in the store when the backup began. */
  objectsListed: number;
  tablesDone: number;
  tables: number;
  rows: number;
  /** The table being read. */
  table?: string;
  /** Bytes of backup written so far. */
  bytes: number;
}

export interface BackupSummary {
  id: string;
  createdAt: string;
  engine: Database["kind"];
  objects: number;
  objectBytes: number;
  tables: number;
  rows: number;
  bytes: number;
}

/** Receives the backup's bytes in order; resolves when it can take more. */
export type BackupSink = (chunk: Buffer) => Promise<void>;

export interface WriteBackupOptions {
  onProgress?: (p: BackupProgress) => void;
  /** Stops the backup (the client went away); it then rejects. */
  signal?: AbortSignal;
}

/** The backup cannot be consistent: a document's row is in the snapshot, its bytes are gone. */
export class BackupInconsistentError extends Error {
  constructor(missing: number) {
    super(
      `${missing} stored object(s) named by the database are missing from the object store, so this backup would hold document rows without their bytes. ` +
        `No backup was written. The server's start-up sweep logs such rows ("storage.objects rows without a blob").`,
    );
    this.name = "BackupInconsistentError";
  }
}

/** Rows per FETCH, and the size at which a batch of rows becomes a frame. */
const FETCH_ROWS = 500;
const FRAME_ROW_BYTES = 4 * 1024 * 1024;

/**
 * Writes a backup of a running installation: its database and its stored objects,
 * consistent with each other, sealed under a key derived from the root secret
 * (backup-format.ts has the layout). Works on both engines, through the raw handle the
 * caller holds (the server's own, on the embedded engine; a script's, on PostgreSQL).
 *
 * Consistency without stopping anything: objects are immutable under their keys and a
 * document's blob is durable before its rows commit, so
 *   1. every object listed now is copied (one that vanishes meanwhile was purged, and its
 *      rows were deleted before it: they will not be in the snapshot);
 *   2. every table is read in ONE repeatable-read snapshot, as service_role (which reads
 *      every row), the migration bookkeeping and sequences as the login;
 *   3. objects named by the snapshot's storage.objects rows but not copied in step 1
 *      (uploaded meanwhile) are copied now; one missing then fails the backup.
 * Objects copied in step 1 without a row in the snapshot are dropped by the restore.
 */
export async function writeBackup(db: Database, store: ObjectStore, sink: BackupSink, opts: WriteBackupOptions = {}): Promise<BackupSummary> {
  const header: BackupHeader = {
    format: 1,
    id: randomUUID(),
    created_at: new Date().toISOString(),
    engine: db.kind,
    key_check: rootSecretKeyCheck(),
  };
  const headerBytes = encodeHeader(header);
  const progress: BackupProgress = { phase: "objects", objects: 0, objectBytes: 0, objectsListed: 0, tablesDone: 0, tables: 0, rows: 0, bytes: 0 };
  const report = () => opts.onProgress?.({ ...progress });
  const checkAborted = () => {
    if (opts.signal?.aborted) throw new Error("The backup was cancelled.");
  };

  const write = async (chunk: Buffer) => {
    checkAborted();
    progress.bytes += chunk.length;
    await sink(chunk);
  };
  await write(headerBytes);
  const sealer = new Sealer(bodyKey(), bodyLabel(headerBytes));
  const emit = async (pieces: Buffer[]) => {
    for (const piece of pieces) for (const sealed of sealer.update(piece)) await write(sealed);
  };
  const frame = (type: FrameType, payload: Buffer) => emit(encodeFrame(type, payload));
  const json = (type: FrameType, value: unknown) => emit(jsonFrame(type, value));

  const copyObject = async (key: string, missingOk: boolean): Promise<boolean> => {
    let stream;
    try {
      stream = await store.get(key);
    } catch (e) {
      if (e instanceof ObjectMissingError && missingOk) return false;
      throw e;
    }
    await json(Frame.ObjectStart, { key });
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      await frame(Frame.ObjectData, chunk);
    }
    await json(Frame.ObjectEnd, { size, sha256: hash.digest("hex") });
    progress.objects++;
    progress.objectBytes += size;
    report();
    return true;
  };

  // 1. The objects there now.
  const listed: string[] = [];
  for await (const o of store.list()) listed.push(o.key);
  progress.objectsListed = listed.length;
  report();
  const copied = new Set<string>();
  for (const key of listed) {
    checkAborted();
    if (await copyObject(key, true)) copied.add(key);
  }

  // 2. The database, in one snapshot.
  progress.phase = "database";
  report();
  let named: string[];
  const client = await db.pool.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    // The login itself (the schema's owner; on the embedded engine its superuser) reads the
    // migration bookkeeping, which no application role may; the rows are read as service_role.
    await client.query("set local role none");
    const migrations = await readMigrations(client);
    const tables = await listTables(client);
    const sequences = await listSequences(client);
    const { rows: version } = await client.query<{ v: string }>("select current_setting('server_version') as v");
    progress.tables = tables.length;
    const manifest: BackupManifest = { migrations, tables: tables.map((t) => t.name), server_version: version[0].v };
    await json(Frame.Manifest, manifest);
    await becomeService(client, "backup: read every table in one snapshot");
    for (const table of tables) {
      checkAborted();
      progress.table = table.name;
      report();
      await json(Frame.TableStart, { table: table.name });
      const n = await copyRows(client, table.name, async (batch) => {
        await frame(Frame.Rows, batch);
        report();
      }, (k) => {
        progress.rows += k;
      });
      await json(Frame.TableEnd, { rows: n });
      progress.tablesDone++;
    }
    progress.table = undefined;
    await json(Frame.Sequences, await readSequences(client, sequences));
    const { rows: objectRows } = await client.query<{ name: string }>("select name from storage.objects");
    named = objectRows.map((r) => r.name);
    await client.query("commit");
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }

  // 3. Objects uploaded while steps 1 and 2 ran.
  progress.phase = "late objects";
  report();
  let missing = 0;
  for (const key of named) {
    if (copied.has(key)) continue;
    checkAborted();
    if (await copyObject(key, true)) copied.add(key);
    else missing++;
  }
  if (missing) throw new BackupInconsistentError(missing);

  const end: BackupEnd = { objects: progress.objects, object_bytes: progress.objectBytes, tables: progress.tablesDone, rows: progress.rows };
  await json(Frame.End, end);
  for (const sealed of sealer.final()) await write(sealed);
  progress.phase = "done";
  report();
  return {
    id: header.id,
    createdAt: header.created_at,
    engine: db.kind,
    objects: progress.objects,
    objectBytes: progress.objectBytes,
    tables: progress.tablesDone,
    rows: progress.rows,
    bytes: progress.bytes,
  };
}

async function readMigrations(client: pg.PoolClient): Promise<MigrationEntry[]> {
  try {
    const { rows } = await client.query<MigrationEntry>("select name, checksum from app.schema_migrations order by applied_at, name");
    return rows;
  } catch (e) {
    if ((e as { code?: string }).code === "42501") {
      throw new Error(
        "The backup reads the migration bookkeeping (app.schema_migrations), which only the schema's owner may: " +
          "with a separate migration login, run it with MIGRATION_DATABASE_URL set.",
        { cause: e },
      );
    }
    throw e;
  }
}

/** Streams a table's rows as JSON arrays of to_jsonb(row), ~4 MiB at most per batch. Returns the count. */
async function copyRows(
  client: pg.PoolClient,
  table: string,
  emitBatch: (batch: Buffer) => Promise<void>,
  counted: (n: number) => void,
): Promise<number> {
  await client.query(`declare backup_rows no scroll cursor for select to_jsonb(t)::text as r from ${quoteQualified(table)} t`);
  let total = 0;
  let batch: string[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (!batch.length) return;
    const text = `[${batch.join(",")}]`;
    counted(batch.length);
    batch = [];
    batchBytes = 0;
    await emitBatch(Buffer.from(text, "utf8"));
  };
  for (;;) {
    const { rows } = await client.query<{ r: string }>(`fetch ${FETCH_ROWS} from backup_rows`);
    if (!rows.length) break;
    for (const row of rows) {
      batch.push(row.r);
      batchBytes += row.r.length;
      total++;
      if (batchBytes >= FRAME_ROW_BYTES) await flush();
    }
  }
  await flush();
  await client.query("close backup_rows");
  return total;
}
