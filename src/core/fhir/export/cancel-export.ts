import type { Session } from "../../auth/session-types";
import { withUser, type RequestContext } from "../../db/with-user";
import { NotFoundError } from "../../errors";
import type { ObjectStore } from "../../storage/object-store";
import { exportFileKey, exportStore } from "./export-store";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Cancels an export (DELETE on its status URL), as its owner (RLS: no one else's job can be
 * touched; 404 otherwise). A completed job's files are removed now; a running job stops at
 * its next page and removes its own files. Cancelling twice is 404, like any job that is gone.
 */
export async function cancelExport(session: Session, jobId: string, context: RequestContext, store: ObjectStore = exportStore()): Promise<void> {
  if (!UUID.test(jobId)) throw new NotFoundError("export");
  const job = await withUser(session, async (tx) => {
    const before = await tx
      .selectFrom("app.fhir_export_jobs")
      .select(["id", "status", "output"])
      .where("id", "=", jobId)
      .where("status", "<>", "cancelled")
      .forUpdate()
      .executeTakeFirst();
    if (!before) return undefined;
    await tx.updateTable("app.fhir_export_jobs").set({ status: "cancelled" }).where("id", "=", jobId).execute();
    return before;
  }, context);
  if (!job) throw new NotFoundError("export");
  for (const f of job.output) await store.delete(exportFileKey(job.id, f.file));
}
