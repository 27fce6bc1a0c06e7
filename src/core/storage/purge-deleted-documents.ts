import { asService } from "../db/with-user";
import { log } from "../log";
import { loadStorageConfig } from "./config";
import { BUCKET } from "./document-view";
import { objectStore } from "./index";
import type { ObjectStore } from "./object-store";

/**
 * The retention job (docs/storage.md): documents soft-deleted more than `olderThanDays` ago
 * lose their rows and then their blobs. Rows go first, in one transaction (the audit
 * triggers record the deletions); a blob that cannot be removed then (or a crash before it
 * is) is an orphan, which the start-up sweeper removes. The server runs it at start-up and
 * every hour (startDocumentRetention); DOCUMENT_RETENTION_DAYS sets the period. Logs
 * document ids and counts only. Returns how many documents were purged.
 */
export async function purgeDeletedDocuments(olderThanDays: number, store: ObjectStore = objectStore()): Promise<number> {
  if (!Number.isFinite(olderThanDays) || olderThanDays < 0) throw new Error("olderThanDays must be a non-negative number.");
  const purged = await asService("retention: purge documents soft-deleted past the retention period", async (tx) => {
    const cutoff = new Date(Date.now() - olderThanDays * 86_400_000);
    const rows = await tx
      .deleteFrom("documents")
      .where("deleted_at", "is not", null)
      .where("deleted_at", "<", cutoff)
      .returning(["id", "object_key"])
      .execute();
    const names = rows.map((r) => r.object_key);
    if (names.length) await tx.deleteFrom("storage.objects").where("bucket_id", "=", BUCKET).where("name", "in", names).execute();
    return rows;
  });
  let blobsLeft = 0;
  for (const doc of purged) {
    try {
      await store.delete(doc.object_key);
    } catch (e) {
      blobsLeft++;
      // the error's text may name the object (patient id): its kind only
      log.warn({ documentId: doc.id, err: (e as Error).name }, "purged document's blob not removed; the start-up sweep will");
    }
  }
  if (purged.length) {
    log.info({ purged: purged.length, blobsLeft, retentionDays: olderThanDays, documentIds: purged.map((d) => d.id) }, "soft-deleted documents purged");
  }
  return purged.length;
}

export interface RetentionJobOptions {
  /** Default: DOCUMENT_RETENTION_DAYS (null: the job is off). */
  retentionDays?: number | null;
  /** Default: one hour. */
  intervalMs?: number;
  /** Default: the process's store, looked up at each run. */
  store?: ObjectStore;
  onError?: (e: unknown) => void;
}

export const RETENTION_INTERVAL_MS = 60 * 60_000;

/**
 * Runs purgeDeletedDocuments once now (in the background: start-up does not wait for it)
 * and then every `intervalMs`, one run at a time, until the returned stop function is
 * called. With retention off it schedules nothing.
 */
export function startDocumentRetention(opts: RetentionJobOptions = {}): () => void {
  const days = opts.retentionDays === undefined ? loadStorageConfig().retentionDays : opts.retentionDays;
  const intervalMs = opts.intervalMs ?? RETENTION_INTERVAL_MS;
  if (days === null) {
    log.info({ retentionDays: "off" }, "document retention job off");
    return () => {};
  }
  let running = false;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = true;
    purgeDeletedDocuments(days, opts.store ?? objectStore())
      .catch((e: unknown) => opts.onError?.(e))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(run, 0);
  const timer = setInterval(run, intervalMs);
  first.unref();
  timer.unref();
  log.info({ retentionDays: days, intervalMinutes: Math.round(intervalMs / 60_000) }, "document retention job scheduled");
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}
