import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, open, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LocalObjectStore } from "./local-store";
import { ObjectMissingError } from "./object-store";

const PATIENT = "00000000-0000-4000-8000-0000000000aa";
const newKey = () => `${PATIENT}/${randomUUID()}`;

/** Pieces of the source handed out so far (see `pieces`). */
let yielded = 0;
/** `bytes` in 64 KiB pieces, like a request body; optionally failing after `failAfter` bytes. */
async function* pieces(bytes: Buffer, failAfter = Infinity): AsyncGenerator<Buffer> {
  yielded = 0;
  for (let off = 0; off < bytes.length; off += 64 * 1024) {
    if (off >= failAfter) throw new Error("client went away");
    yielded++;
    yield bytes.subarray(off, off + 64 * 1024);
    await new Promise((r) => setImmediate(r)); // let writes and syncs run in between
  }
}

/** FileHandle is not exported: its prototype, from an open handle. */
async function fileHandlePrototype(dir: string): Promise<{ datasync: () => Promise<void> }> {
  const probe = await open(path.join(dir, "probe"), "w");
  await probe.close();
  return Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
}

describe("local store: large objects (background datasync while writing)", () => {
  let root: string;
  let store: LocalObjectStore;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "carebase-local-store-"));
    store = new LocalObjectStore(path.join(root, "objects"), randomBytes(32));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const incomplete = async () => readdir(path.join(root, "objects", ".incomplete")).catch(() => []);

  it("round-trips a 6 MiB object and never writes its plaintext", async () => {
    const plain = Buffer.concat([Buffer.from("%PDF-1.7 Potassium 7.1 mmol/L CRITICAL "), randomBytes(6 * 1024 * 1024)]);
    const key = newKey();
    await store.put(key, pieces(plain));
    expect((await buffer(await store.get(key))).equals(plain)).toBe(true);
    const onDisk = await readFile(store.pathOf(key));
    expect(onDisk.includes(Buffer.from("Potassium 7.1"))).toBe(false);
    expect(await incomplete()).toEqual([]);
  });

  it("starts flushing to disk while the object is still arriving", async () => {
    const proto = await fileHandlePrototype(root);
    const calledAt: number[] = [];
    const original = proto.datasync;
    vi.spyOn(proto, "datasync").mockImplementation(function (this: unknown) {
      calledAt.push(yielded);
      return original.call(this);
    });
    await store.put(newKey(), pieces(randomBytes(6 * 1024 * 1024)));
    const total = (6 * 1024 * 1024) / (64 * 1024);
    expect(calledAt.length).toBeGreaterThan(1);
    expect(calledAt[0]).toBeLessThan(total); // a sync began before the last piece arrived
  });

  it("leaves nothing behind when the source fails while a background datasync may be running", async () => {
    const key = newKey();
    await expect(store.put(key, pieces(randomBytes(6 * 1024 * 1024), 5 * 1024 * 1024))).rejects.toThrow("client went away");
    await expect(store.get(key)).rejects.toBeInstanceOf(ObjectMissingError);
    expect(await incomplete()).toEqual([]);
  });

  it("lists objects while others are being deleted (no error for a file gone since readdir)", async () => {
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) {
      keys.push(newKey());
      await store.put(keys[i], pieces(randomBytes(1000)));
    }
    // the listing has read the directory and yielded one object; then every object goes
    const it = store.list()[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    for (const k of keys) await store.delete(k);
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value.key);
    expect(rest.filter((k) => keys.includes(k))).toEqual([]);
  });

  it("fails the put, and leaves nothing, when a background datasync fails", async () => {
    // the first datasync is a background one (the test above): its failure must not be lost
    const proto = await fileHandlePrototype(root);
    const datasync = vi.spyOn(proto, "datasync").mockRejectedValueOnce(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));

    const key = newKey();
    await expect(store.put(key, pieces(randomBytes(6 * 1024 * 1024)))).rejects.toThrow("EIO");
    expect(datasync).toHaveBeenCalled();
    await expect(store.get(key)).rejects.toBeInstanceOf(ObjectMissingError);
    expect(await incomplete()).toEqual([]);
  });
});
