import type { Readable } from "node:stream";
import type { Session } from "../../auth/session-types";
import { withUser, type RequestContext } from "../../db/with-user";
import { NotFoundError } from "../../errors";
import type { ObjectStore } from "../../storage/object-store";
import { exportFileKey, exportStore } from "./export-store";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One NDJSON file of a completed export, for the job's owner only (RLS; anyone else, a
 * cancelled or expired job, or a name the job did not write: 404). The bytes stream from
 * the sealed file, checked as they are read. The data was recorded as read, page by page,
 * when the runner read it as the owner; fetching the file again reads nothing new.
 */
export async function readExportFile(session: Session, jobId: string, fileName: string, context: RequestContext, store: ObjectStore = exportStore()): Promise<Readable> {
  const fileId = fileName.replace(/\.ndjson$/, "");
  if (!UUID.test(jobId) || !UUID.test(fileId)) throw new NotFoundError("file");
  const job = await withUser(session, (tx) =>
    tx
      .selectFrom("app.fhir_export_jobs")
      .select(["id", "output"])
      .where("id", "=", jobId)
      .where("status", "=", "completed")
      .where("expires_at", ">", new Date())
      .executeTakeFirst(), context);
  if (!job || !job.output.some((f) => f.file === fileId.toLowerCase())) throw new NotFoundError("file");
  return store.get(exportFileKey(job.id, fileId.toLowerCase()));
}
