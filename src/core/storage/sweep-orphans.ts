import { asService } from "../db/with-user";
import { log } from "../log";
import { loadConfig } from "../config";
import { loadStorageConfig } from "./config";
import { objectStore } from "./index";
import type { ObjectStore } from "./object-store";
import { BUCKET } from "./document-view";

export interface SweepReport {
  /** Blobs removed because no storage.objects row names them. */
  removed: string[];
  /** Incomplete uploads (temp files, multipart uploads) removed. */
  incomplete: number;
  /** storage.objects rows whose blob is missing (never expected; logged for an operator). */
  missing: string[];
}

export interface SweepOptions {
  store?: ObjectStore;
  /**
   * Only blobs at least this old are candidates, so that a sweep never races an upload in
   * flight on another instance (its blob is written before its rows). Default: 0 with the
   * embedded database (one process holds DATA_DIR), 1 hour with a PostgreSQL server.
   */
  minAgeMs?: number;
}

/**
 * Removes what a crash can leave behind: blobs with no row (uploaded, then the process
 * died before the rows committed) and incomplete uploads. Call it at start-up, before
 * serving, and periodically (startOrphanSweeps) for what a crash of another instance, or a
 * failed removal, leaves while this one runs. Rows without a blob cannot arise (rows commit
 * after the blob is durable); if one is found it is reported, not touched.
 */
export async function sweepOrphans(opts: SweepOptions = {}): Promise<SweepReport> {
  const store = opts.store ?? objectStore();
  const minAgeMs = opts.minAgeMs ?? (loadConfig().databaseUrl || loadStorageConfig().driver === "s3" ? 3_600_000 : 0);
  const cutoff = new Date(Date.now() - minAgeMs);
  const incomplete = await store.removeIncomplete(cutoff);

  const blobs = new Map<string, Date>();
  for await (const o of store.list()) blobs.set(o.key, o.lastModified);
  const names = await asService("orphan sweep: compare the object store with storage.objects", async (tx) =>
    (await tx.selectFrom("storage.objects").select("name").where("bucket_id", "=", BUCKET).execute()).map((r) => r.name),
  );
  const known = new Set(names);
  const removed: string[] = [];
  for (const [key, modified] of blobs) {
    if (known.has(key) || modified > cutoff) continue;
    await store.delete(key);
    removed.push(key);
  }
  const missing = names.filter((n) => !blobs.has(n));
  if (removed.length || incomplete) log.info({ removed: removed.length, incomplete }, "orphaned objects swept");
  if (missing.length) log.error({ objectKeys: missing }, "storage.objects rows without a blob");
  return { removed, incomplete, missing };
}

/** How often the server sweeps while it runs. */
export const SWEEP_INTERVAL_MS = 60 * 60_000;
/**
 * While the server runs, only leftovers at least this old are swept: an upload in flight on
 * this (or another) instance has a fresh .part file, then a fresh blob before its rows. An
 * upload cannot last this long (Node's request timeout is 5 minutes).
 */
export const RUNNING_SWEEP_MIN_AGE_MS = 60 * 60_000;

export interface OrphanSweepJobOptions {
  /** Default: SWEEP_INTERVAL_MS (one hour). */
  intervalMs?: number;
  /** Default: RUNNING_SWEEP_MIN_AGE_MS (one hour), whatever the engine: uploads are in flight now. */
  minAgeMs?: number;
  /** Default: the process's store, looked up at each run. */
  store?: ObjectStore;
  onError?: (e: unknown) => void;
}

/**
 * The periodic sweep (issue #13: a crash left 7.4 MB of .part files that stayed until the
 * next restart). The start-up sweep runs before serving; this runs every `intervalMs`
 * after it, one run at a time, until the returned stop function is called. Several
 * instances may run it at once: a removal of something already removed is not an error.
 */
export function startOrphanSweeps(opts: OrphanSweepJobOptions = {}): () => void {
  const intervalMs = opts.intervalMs ?? SWEEP_INTERVAL_MS;
  const minAgeMs = opts.minAgeMs ?? RUNNING_SWEEP_MIN_AGE_MS;
  let running = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = true;
    sweepOrphans({ store: opts.store, minAgeMs })
      .catch((e: unknown) => opts.onError?.(e))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  log.info({ intervalMinutes: Math.round(intervalMs / 60_000), minAgeMinutes: Math.round(minAgeMs / 60_000) }, "orphan sweep scheduled");
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
