import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { deriveKey } from "../config";
import { DecryptStream, EncryptStream } from "./envelope";
import { assertObjectKey, ObjectMissingError, type ObjectStore, type StoredObjectInfo } from "./object-store";

const INCOMPLETE_DIR = ".incomplete";

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
      // flush: fsync before the stream closes the file, so the rename publishes durable bytes
      await pipeline(source, new EncryptStream(this.kek, key), out.createWriteStream({ flush: true }));
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
    const decrypt = new DecryptStream(this.kek, key);
    const raw = fh.createReadStream({ autoClose: true, highWaterMark: 256 * 1024 });
    raw.on("error", (e) => decrypt.destroy(e));
    decrypt.on("close", () => raw.destroy());
    return raw.pipe(decrypt);
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
        const s = await stat(path.join(this.root, dir, f));
        yield { key, lastModified: s.mtime };
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
