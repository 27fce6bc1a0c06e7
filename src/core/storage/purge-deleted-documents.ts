import { asService } from "../db/with-user";
import { log } from "../log";
import { BUCKET } from "./document-view";
import { objectStore } from "./index";
import type { ObjectStore } from "./object-store";

/**
 * The retention job (docs/storage.md): documents soft-deleted more than `olderThanDays` ago
 * lose their rows and then their blobs. Rows go first, in one transaction (the audit
 * triggers record the deletions); a crash before the blob is removed leaves an orphan the
 * start-up sweeper removes. Not scheduled by the server: run it from the operator's
 * scheduler, with the retention period the clinic's records policy requires.
 */
export async function purgeDeletedDocuments(olderThanDays: number, store: ObjectStore = objectStore()): Promise<number> {
  if (!Number.isFinite(olderThanDays) || olderThanDays < 0) throw new Error("olderThanDays must be a non-negative number.");
  const keys = await asService("retention: purge documents soft-deleted past the retention period", async (tx) => {
    const cutoff = new Date(Date.now() - olderThanDays * 86_400_000);
    const rows = await tx
      .deleteFrom("documents")
      .where("deleted_at", "is not", null)
      .where("deleted_at", "<", cutoff)
      .returning("object_key")
      .execute();
    const names = rows.map((r) => r.object_key);
    if (names.length) await tx.deleteFrom("storage.objects").where("bucket_id", "=", BUCKET).where("name", "in", names).execute();
    return names;
  });
  for (const key of keys) await store.delete(key);
  if (keys.length) log.info({ purged: keys.length }, "soft-deleted documents purged");
  return keys.length;
}
