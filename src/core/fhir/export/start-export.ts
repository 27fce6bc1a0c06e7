import type { Session } from "../../auth/session-types";
import { withUser, type RequestContext } from "../../db/with-user";
import { BadRequestError, ForbiddenError, RateLimitedError } from "../../errors";
import { exportableTypes } from "./exportable-types";
import { runExportInBackground } from "./run-export";
import { ensureExportSweeps } from "./sweep-exports";
import { ZExportKickOff, type ExportLevel } from "./start-export.types";

/** Open (accepted or running) jobs one user may have at once; more is 429 with Retry-After. */
export const MAX_OPEN_JOBS_PER_USER = 2;

export interface KickOff {
  level: ExportLevel;
  /** The kick-off request's query parameters. */
  params: Record<string, string>;
  /** The kick-off URL as the client sent it (the manifest's `request`). */
  requestUrl: string;
  /** The FHIR base URL (`https://host/fhir/R4`) for the manifest's file links and the mappers. */
  base: string;
  origin: string;
}

/**
 * Starts a Bulk Data export (kick-off): checks the parameters and who asks, records the job
 * as the caller (RLS: a job is its owner's; a system-level job needs an admin at aal2, which
 * the database checks again), and hands it to the runner in this process. Returns the job's id.
 */
export async function startExport(session: Session, kick: KickOff, context: RequestContext): Promise<string> {
  if (kick.level === "system" && session.role !== "admin") throw new ForbiddenError("A system-level export is for admins; use Patient/$export for your patients.");
  if (kick.level === "system" && session.aal !== "aal2") {
    throw new ForbiddenError("A system-level export needs a session signed in with two factors.", "mfa_required");
  }
  // Bulk Data: a parameter the server does not understand, or cannot honour, is 400
  const parsed = ZExportKickOff.safeParse(kick.params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = issue.code === "unrecognized_keys"
      ? `The parameter ${issue.keys.join(", ")} is not supported by this server's export.`
      : `${String(issue.path[0] ?? "A parameter")} ${issue.message}.`;
    throw new BadRequestError(message, "invalid_search_parameter");
  }
  const params = parsed.data;
  const allowed = exportableTypes(kick.level);
  const types = params._type ? [...new Set(params._type.split(",").map((t) => t.trim()).filter(Boolean))] : allowed;
  const unknown = types.filter((t) => !allowed.includes(t));
  if (unknown.length || types.length === 0) {
    throw new BadRequestError(`_type may name only ${allowed.join(", ")}.`, "invalid_search_parameter", { _type: "Unsupported resource type." });
  }
  const jobId = await withUser(session, async (tx) => {
    const open = await tx
      .selectFrom("app.fhir_export_jobs")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("owner_id", "=", session.userId)
      .where("status", "in", ["accepted", "running"])
      .executeTakeFirstOrThrow();
    if (Number(open.n) >= MAX_OPEN_JOBS_PER_USER) throw new RateLimitedError(30, "Too many exports are running for you; wait for one to finish or cancel it.");
    const row = await tx
      .insertInto("app.fhir_export_jobs")
      .values({ owner_id: session.userId, level: kick.level, types, since: params._since ? new Date(params._since) : null, request: kick.requestUrl.slice(0, 2000) })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }, context);
  ensureExportSweeps();
  runExportInBackground(jobId, session, { base: kick.base, origin: kick.origin, context });
  return jobId;
}
