import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { FileHandle } from "node:fs/promises";
import { deriveKey } from "../config";
import { HEADER_BYTES, Opener, Sealer } from "./envelope";
import { collectYoungGarbage } from "./young-garbage";
import { assertObjectKey, ObjectMissingError, type ObjectStore, type StoredObjectInfo } from "./object-store";

const INCOMPLETE_DIR = ".incomplete";
/** Sealed bytes per write(): about one envelope frame. */
const WRITE_BYTES = 1024 * 1024;
/** Written bytes that start a background datasync while the upload goes on. */
const SYNC_BYTES = 2 * 1024 * 1024;
/**
 * Plaintext bytes after which a scavenge frees the Buffers the upload has discarded (its
 * source's chunks and the ciphertext already written: about twice this; see
 * young-garbage.ts). Each Buffer of the pipeline is dropped within about one frame and one
 * write, so in a lone upload it lives through at most one scavenge and is not promoted to
 * the old generation, where only a full collection frees it. Several uploads at once
 * scavenge more often, and some of the ciphertext held for a frame does get promoted:
 * freed, as before this, by the next full collection.
 */
const SCAVENGE_BYTES = 2 * 1024 * 1024;

/**
 * Encrypted files under DATA_DIR/objects: `<patient_id>/<uuid>.cbe`. An upload is written
 * to objects/.incomplete/ first, flushed to disk, then renamed into place, so a complete
 * file under its key is the only thing a reader can ever see.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = "local" as const;
  private readonly kek: Buffer;

  constructor(readonly root: string, kek: Buffer = deriveKey("storage-kek")) {
    this.kek = kek;
  }

  /** The file that holds an object (tests inspect it; nothing else should). */
  pathOf(key: string): string {
    assertObjectKey(key);
    const [patient, id] = key.split("/");
    return path.join(this.root, patient, `${id}.cbe`);
  }

  async put(key: string, source: Readable | AsyncIterable<Buffer>): Promise<void> {
    const final = this.pathOf(key);
    const tmpDir = path.join(this.root, INCOMPLETE_DIR);
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = path.join(tmpDir, `${randomUUID()}.part`);
    // Opened before streaming, so that on failure the file certainly exists to be removed.
    const out = await open(tmp, "wx", 0o600);
    try {
      await writeSealed(out, new Sealer(this.kek, key), source);
      // the rename below publishes durable bytes only: fdatasync flushes the data and the
      // metadata needed to read it back (size, blocks), not the timestamps; the directory
      // entry is made durable by syncDir() after the rename
      await out.datasync();
      await out.close();
      await mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
      await rename(tmp, final);
      await syncDir(path.dirname(final));
    } catch (e) {
      await out.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    const fh = await open(file, "r").catch((e: NodeJS.ErrnoException) => {
      throw e.code === "ENOENT" ? new ObjectMissingError(key) : e;
    });
    return new OpenedFile(fh, new Opener(this.kek, key));
  }

  async delete(key: string): Promise<void> {
    await unlink(this.pathOf(key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }

  async *list(): AsyncIterable<StoredObjectInfo> {
    let dirs: string[];
    try {
      dirs = await readdir(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    for (const dir of dirs) {
      if (dir === INCOMPLETE_DIR) continue;
      let files: string[];
      try {
        files = await readdir(path.join(this.root, dir));
      } catch {
        continue; // not a directory
      }
      for (const f of files) {
        if (!f.endsWith(".cbe")) continue;
        const key = `${dir}/${f.slice(0, -4)}`;
        try {
          assertObjectKey(key);
        } catch {
          continue;
        }
        // removed since readdir (a delete or the retention job running now): not listed
        const s = await stat(path.join(this.root, dir, f)).catch((e: NodeJS.ErrnoException) => {
          if (e.code === "ENOENT") return undefined;
          throw e;
        });
        if (s) yield { key, lastModified: s.mtime };
      }
    }
  }

  async removeIncomplete(olderThan: Date): Promise<number> {
    const dir = path.join(this.root, INCOMPLETE_DIR);
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const f of files) {
      const p = path.join(dir, f);
      const s = await stat(p).catch(() => undefined);
      if (s && s.mtime <= olderThan) {
        await rm(p, { force: true });
        removed++;
      }
    }
    return removed;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } catch {
    /* some filesystems refuse fsync on directories */
  } finally {
    await fh.close();
  }
}

/**
 * Encrypts `source` into `out` in one pass: each chunk is sealed as it arrives and the
 * sealed bytes are written in batches of about WRITE_BYTES with writev (no gathering copy),
 * one write in flight while the next batch is sealed. Every SYNC_BYTES written, a datasync
 * starts in the background (one at a time), so the disk works while the CPU seals and the
 * caller's final datasync only waits for the tail; a failed one fails the put. Memory:
 * about two batches, and what was discarded since the last scavenge (every SCAVENGE_BYTES).
 */
async function writeSealed(out: FileHandle, sealer: Sealer, source: Readable | AsyncIterable<Buffer>): Promise<void> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let writing: Promise<void> = Promise.resolve();
  let syncing: Promise<void> = Promise.resolve();
  let syncInFlight = false;
  let syncFailure: unknown; // a background datasync that failed fails the put
  let written = 0; // bytes whose write() has completed
  let synced = 0; // bytes covered by a started datasync
  const flush = async () => {
    const buffers = batch;
    const bytes = batchBytes;
    batch = [];
    batchBytes = 0;
    await writing;
    if (syncFailure) throw syncFailure;
    // what is written goes to the disk in the background while the rest is sealed, so the
    // datasync after the last write only waits for the tail
    if (!syncInFlight && written - synced >= SYNC_BYTES) {
      synced = written;
      syncInFlight = true;
      syncing = out.datasync().then(
        () => {
          syncInFlight = false;
        },
        (e: unknown) => {
          syncInFlight = false;
          syncFailure ??= e;
        },
      );
    }
    writing = writeAll(out, buffers).then(() => {
      written += bytes;
    });
    writing.catch(() => undefined); // observed by the next flush or the final await
  };
  const add = async (sealed: Buffer[]) => {
    for (const b of sealed) {
      batch.push(b);
      batchBytes += b.length;
    }
    if (batchBytes >= WRITE_BYTES) await flush();
  };
  try {
    let sinceScavenge = 0;
    for await (const chunk of source) {
      await add(sealer.update(chunk as Buffer));
      sinceScavenge += (chunk as Buffer).length;
      if (sinceScavenge >= SCAVENGE_BYTES) {
        sinceScavenge = 0;
        collectYoungGarbage();
      }
    }
    await add(sealer.final());
    await flush();
    await writing;
    await syncing;
    if (syncFailure) throw syncFailure;
  } catch (e) {
    // never leave a write or a sync running on a file about to be removed
    await Promise.allSettled([writing, syncing]);
    throw e;
  }
}

async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  const pending = buffers.filter((b) => b.length);
  while (pending.length) {
    let { bytesWritten } = await fh.writev(pending);
    // a short write (rare for files): continue from where it stopped
    while (pending.length && bytesWritten >= pending[0].length) bytesWritten -= pending.shift()!.length;
    if (bytesWritten) pending[0] = pending[0].subarray(bytesWritten);
  }
}

/**
 * The decrypted contents of an encrypted file: reads one whole frame at a time into one
 * reused buffer (the Opener copies what it keeps), so each frame's plaintext is one piece
 * (a consumer's read() then never has pieces to concatenate), and pushes only verified
 * plaintext. A damaged frame destroys the stream with ObjectIntegrityError.
 */
class OpenedFile extends Readable {
  private buffer = Buffer.allocUnsafe(HEADER_BYTES);
  private reading = false;

  constructor(private readonly fh: FileHandle, private readonly opener: Opener) {
    super({ highWaterMark: 1024 * 1024 }); // one frame of plaintext ahead of the consumer
  }

  override _read(): void {
    if (this.reading) return; // one read at a time: the buffer is shared
    this.reading = true;
    void this.fill();
  }

  /** Reads until there is verified plaintext to push, or the end. */
  private async fill(): Promise<void> {
    try {
      for (;;) {
        const wanted = this.opener.wanted();
        if (wanted > this.buffer.length) this.buffer = Buffer.allocUnsafe(wanted); // once, after the header
        const { bytesRead } = await this.fh.read(this.buffer, 0, wanted, null);
        if (this.destroyed) return;
        if (bytesRead === 0) {
          this.opener.final();
          this.reading = false;
          this.push(null);
          return;
        }
        const plain = this.opener.update(this.buffer.subarray(0, bytesRead));
        if (plain.length) {
          this.reading = false; // before push(), which may ask for more at once
          for (const p of plain) this.push(p);
          return;
        }
      }
    } catch (e) {
      this.reading = false;
      this.destroy(e as Error);
    }
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.fh.close().then(
      () => done(err),
      () => done(err),
    );
  }
}
