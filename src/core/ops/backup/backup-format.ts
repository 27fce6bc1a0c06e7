import { createHash } from "node:crypto";
import { deriveKey } from "../../config";
import type { EngineKind } from "../../db/engine";

/**
 * The backup file (docs/operations.md, "Backup and restore"):
 *
 *   line 1   "CAREBASE-BACKUP 1"
 *   line 2   the header, JSON: format, id, created_at, engine, key_check     (clear)
 *   rest     the body, sealed by the envelope of the object store (AES-256-GCM,
 *            STREAM construction, 1 MiB frames) under deriveKey("backup"), with the two
 *            lines above bound to it (the data key's wrapping AAD names their SHA-256)
 *
 * The header says only what a restore must know before it decrypts anything: which secret
 * the backup needs (its key check: an HMAC of a constant, not the secret) and when it was
 * made. The root secret itself is never in a backup, in clear or otherwise.
 *
 * The body is a sequence of frames: type (1 byte, ASCII) | length (u32 BE) | payload.
 */
export const BACKUP_MAGIC = "CAREBASE-BACKUP";
export const BACKUP_FORMAT = 1;
/** Longest header we read before giving up (the real one is ~250 bytes). */
const MAX_HEADER_BYTES = 4096;
/** Longest frame payload we accept (row batches are cut at ~4 MiB, object chunks at 1 MiB). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const FRAME_HEAD = 5;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  id: string;
  created_at: string;
  engine: EngineKind;
  /** keyCheckOf(the root secret): a restore refuses a secret whose check differs. */
  key_check: string;
}

export const Frame = {
  /** Manifest, JSON: the schema the rows need (migrations), the tables in load order, counts. */
  Manifest: "M",
  /** An object begins, JSON {key}. */
  ObjectStart: "O",
  /** An object's plaintext bytes (≤ 1 MiB). */
  ObjectData: "D",
  /** An object ends, JSON {size, sha256}. */
  ObjectEnd: "E",
  /** A table's rows begin, JSON {table}. */
  TableStart: "T",
  /** Rows, a JSON array of to_jsonb(row). */
  Rows: "R",
  /** A table's rows end, JSON {rows}. */
  TableEnd: "U",
  /** Sequences, JSON [{sequence, last_value, is_called}]. */
  Sequences: "Q",
  /** The end, JSON: counts to compare with. A body without it is truncated. */
  End: "Z",
} as const;
export type FrameType = (typeof Frame)[keyof typeof Frame];

export interface BodyFrame {
  type: FrameType;
  payload: Buffer;
}

export interface MigrationEntry {
  name: string;
  checksum: string;
}

export interface TableEntry {
  /** schema.name, quoted as needed by quoteQualified. */
  table: string;
  rows: number;
}

export interface BackupManifest {
  /** The migrations applied to the database the rows came from, in the order applied. */
  migrations: MigrationEntry[];
  /** The tables, in an order that satisfies their foreign keys. */
  tables: string[];
  server_version: string;
}

export interface BackupEnd {
  objects: number;
  object_bytes: number;
  tables: number;
  rows: number;
}

export function encodeHeader(header: BackupHeader): Buffer {
  return Buffer.from(`${BACKUP_MAGIC} ${BACKUP_FORMAT}\n${JSON.stringify(header)}\n`, "utf8");
}

/** The body's key and its binding to the header: a changed header no longer opens the body. */
export function bodyKey(): Buffer {
  return deriveKey("backup");
}

export function bodyLabel(headerBytes: Buffer): string {
  return `backup:v1:${createHash("sha256").update(headerBytes).digest("hex")}`;
}

export class BackupFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupFormatError";
  }
}

/**
 * Reads the two header lines from the start of a backup. Returns the header, its exact
 * bytes (bound to the body) and whatever of the body was read with them.
 */
export async function readHeader(source: AsyncIterator<Buffer>): Promise<{ header: BackupHeader; headerBytes: Buffer; rest: Buffer }> {
  let buf = Buffer.alloc(0);
  for (;;) {
    const firstNl = buf.indexOf(0x0a);
    const secondNl = firstNl >= 0 ? buf.indexOf(0x0a, firstNl + 1) : -1;
    if (secondNl >= 0) {
      const magic = buf.subarray(0, firstNl).toString("utf8");
      if (magic !== `${BACKUP_MAGIC} ${BACKUP_FORMAT}`) {
        throw new BackupFormatError(magic.startsWith(BACKUP_MAGIC) ? `This backup's format (${magic}) is not one this version reads.` : "This is not a Carebase backup.");
      }
      let header: BackupHeader;
      try {
        header = JSON.parse(buf.subarray(firstNl + 1, secondNl).toString("utf8")) as BackupHeader;
      } catch {
        throw new BackupFormatError("The backup's header is damaged.");
      }
      if (header.format !== BACKUP_FORMAT || typeof header.key_check !== "string" || typeof header.id !== "string") {
        throw new BackupFormatError("The backup's header is damaged.");
      }
      return { header, headerBytes: buf.subarray(0, secondNl + 1), rest: buf.subarray(secondNl + 1) };
    }
    if (buf.length > MAX_HEADER_BYTES) throw new BackupFormatError("This is not a Carebase backup.");
    const next = await source.next();
    if (next.done) throw new BackupFormatError(buf.length ? "The backup ends inside its header." : "The backup file is empty.");
    buf = Buffer.concat([buf, next.value]);
  }
}

export function encodeFrame(type: FrameType, payload: Buffer): Buffer[] {
  if (payload.length > MAX_FRAME_BYTES) throw new Error("frame too large");
  const head = Buffer.allocUnsafe(FRAME_HEAD);
  head.write(type, 0, "ascii");
  head.writeUInt32BE(payload.length, 1);
  return [head, payload];
}

export function jsonFrame(type: FrameType, value: unknown): Buffer[] {
  return encodeFrame(type, Buffer.from(JSON.stringify(value), "utf8"));
}

const TYPES = new Set<string>(Object.values(Frame));

/** Cuts verified plaintext (pieces of any size) into frames. */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(piece: Buffer): BodyFrame[] {
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    const out: BodyFrame[] = [];
    for (;;) {
      if (this.pendingBytes < FRAME_HEAD) break;
      const head = this.peek(FRAME_HEAD);
      const type = String.fromCharCode(head[0]);
      const length = head.readUInt32BE(1);
      if (!TYPES.has(type) || length > MAX_FRAME_BYTES) throw new BackupFormatError("The backup's body is damaged (unknown frame).");
      if (this.pendingBytes < FRAME_HEAD + length) break;
      const all = this.take(FRAME_HEAD + length);
      out.push({ type: type as FrameType, payload: all.subarray(FRAME_HEAD) });
    }
    return out;
  }

  /** The body ended: nothing may be left over. */
  finish(): void {
    if (this.pendingBytes) throw new BackupFormatError("The backup's body ends inside a frame (truncated).");
  }

  private peek(n: number): Buffer {
    if (this.pending[0].length >= n) return this.pending[0].subarray(0, n);
    return Buffer.concat(this.pending).subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    const taken = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return taken;
  }
}

/** "schema"."name" for SQL, from schema.name. */
export function quoteQualified(qualified: string): string {
  const dot = qualified.indexOf(".");
  return `${quoteIdent(qualified.slice(0, dot))}.${quoteIdent(qualified.slice(dot + 1))}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
