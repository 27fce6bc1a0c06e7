import type { Session } from "../../auth/session-types";
import { withUser, type RequestContext } from "../../db/with-user";
import { NotFoundError } from "../../errors";
import type { FhirExportStatus } from "../../db/schema";

export interface ExportManifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: true;
  output: { type: string; url: string; count: number }[];
  error: never[];
}

export type ExportState =
  | { state: "in-progress"; progress: string }
  | { state: "completed"; manifest: ExportManifest; expiresAt: Date }
  | { state: "failed"; error: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a job's status and files are (under the FHIR base). */
export const statusPath = (jobId: string) => `/$export-status/${jobId}`;
export const filePath = (jobId: string, fileId: string) => `/$export-file/${jobId}/${fileId}.ndjson`;

/**
 * The status of an export, for its owner only (RLS: another user's job, a cancelled or an
 * expired one is 404, the same answer as one that never existed).
 */
export async function getExportStatus(session: Session, jobId: string, base: string, context: RequestContext): Promise<ExportState> {
  if (!UUID.test(jobId)) throw new NotFoundError("export");
  const job = await withUser(session, (tx) =>
    tx
      .selectFrom("app.fhir_export_jobs")
      .select(["id", "status", "progress", "output", "error", "request", "transaction_time", "expires_at"])
      .where("id", "=", jobId)
      .where("expires_at", ">", new Date())
      .executeTakeFirst(), context);
  if (!job || job.status === ("cancelled" satisfies FhirExportStatus)) throw new NotFoundError("export");
  if (job.status === "accepted") return { state: "in-progress", progress: "queued" };
  if (job.status === "running") return { state: "in-progress", progress: job.progress ?? "started" };
  if (job.status === "failed") return { state: "failed", error: job.error ?? "The export failed." };
  return {
    state: "completed",
    expiresAt: job.expires_at,
    manifest: {
      transactionTime: job.transaction_time.toISOString(),
      request: job.request,
      requiresAccessToken: true,
      output: job.output.map((f) => ({ type: f.type, url: `${base}${filePath(job.id, f.file)}`, count: f.count })),
      error: [],
    },
  };
}
