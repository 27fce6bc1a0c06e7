import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { objectStore } from "./index";
import type { ObjectStore } from "./object-store";

/**
 * Probe objects live under the nil "patient": no patient has this id, no row points at them,
 * and one left behind (a delete that failed) is an orphan that sweepOrphans() removes.
 */
export const PROBE_PREFIX = "00000000-0000-0000-0000-000000000000";

/**
 * Proves the object store takes writes: stores a small object under a fresh key (through the
 * same path as an upload: encrypted, flushed, renamed into place, or an S3 PUT) and deletes
 * it. Rejects with the store's error (ENOSPC, EROFS, S3's) when it cannot.
 */
export async function probeObjectStore(store: ObjectStore = objectStore()): Promise<void> {
  const key = `${PROBE_PREFIX}/${randomUUID()}`;
  await store.put(key, Readable.from([Buffer.from("carebase readiness probe\n")]));
  await store.delete(key);
}
