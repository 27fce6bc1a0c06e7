import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { requireAdmin } from "../auth/require";
import { withUser, type RequestContext } from "../db/with-user";
import { BadRequestError, NotFoundError } from "../errors";
import { drainStagedReads, recordRead } from "./record";
import { encodeCursor, parseAuditQuery, ZListAuditQuery } from "./list-audit-records.types";

export interface AccessLogEntry {
  id: string;
  occurred_at: string;
  /** Who: a name and an account role, never an internal id alone. */
  actor: { name: string; role: string };
  /** viewed, created, changed, deleted, or an account event such as invite.created */
  activity: string;
  /** What kind of record: patient_chart, visits, prescriptions, documents, ... */
  record_kind: string | null;
  /** The channel a read came through when not the portal or the JSON API: "fhir" (/fhir/R4). */
  via: string | null;
}

export interface AccessLogPage {
  data: AccessLogEntry[];
  next_cursor: string | null;
}

const ACTIVITY: Record<string, string> = { read: "viewed", insert: "created", update: "changed", delete: "deleted" };

function actorOf(name: string | null, role: string | null): { name: string; role: string } {
  if (name) return { name, role: role ?? "unknown" };
  if (role === "device") return { name: "Wearable device", role: "device" };
  if (role === "share_link") return { name: "Someone you gave a sharing link", role: "share_link" };
  return { name: "Carebase system", role: "system" };
}

export interface AccessLogQuery {
  cursor?: { at: string; id: string };
  limit?: number;
  /** Leave out the caller's own records (a patient's own visits to the portal). */
  othersOnly?: boolean;
}

export function parseAccessLogQuery(url: string): AccessLogQuery {
  const u = new URL(url);
  const others = u.searchParams.getAll("others_only");
  u.searchParams.delete("others_only");
  if (others.length > 1 || (others.length === 1 && others[0] !== "true" && others[0] !== "false")) {
    throw new BadRequestError("The query string is malformed: others_only must be true or false.", "invalid_request");
  }
  const q = parseAuditQuery(u.toString(), ZListAuditQuery);
  const extra = Object.keys(q).filter((k) => k !== "cursor" && k !== "limit" && q[k as keyof typeof q] !== undefined);
  if (extra.length) throw new BadRequestError(`The query string is malformed: ${extra.join(", ")} is not a known parameter.`, "invalid_request");
  return { cursor: q.cursor, limit: q.limit, othersOnly: others[0] === "true" };
}

/**
 * GET /api/v1/patients/{id}/access-log: who opened or changed this patient's record.
 * The patient themself, or an admin (aal2); anyone else, care team included, gets 404.
 * Reading the report is itself recorded.
 */
export async function getAccessLog(
  session: Session,
  patientId: string,
  page: AccessLogQuery,
  context: RequestContext,
): Promise<AccessLogPage> {
  if (session.role === "admin") requireAdmin(session);
  else if (session.role !== "patient") throw new NotFoundError("patient");
  const limit = page.limit ?? 50;
  await drainStagedReads(); // staged read records too (docs/audit.md)
  return withUser(session, async (tx) => {
    const visible =
      session.role === "admin"
        ? await tx.selectFrom("patients").select("id").where("id", "=", patientId).executeTakeFirst()
        : await tx.selectFrom("patients").select("id").where("id", "=", patientId).where("user_id", "=", session.userId).executeTakeFirst();
    if (!visible) throw new NotFoundError("patient");
    const { rows } = await sql<{
      id: string; cursor_at: string; actor_name: string | null; actor_role: string | null; action: string; kind: string | null;
    }>`select id::text as id, cursor_at, actor_name, actor_role, action, kind
         from app.patient_access_log(${patientId}::uuid, ${page.cursor?.at ?? null}::timestamptz, ${page.cursor?.id ?? null}::bigint, ${limit + 1},
                                     ${page.othersOnly ? session.userId : null}::uuid)`.execute(tx);
    const more = rows.length > limit;
    const shown = more ? rows.slice(0, limit) : rows;
    // the channel of each record (details.via, e.g. FHIR reads); the caller may read these rows' details (0005)
    const channels = new Map<string, string>();
    if (shown.length) {
      const via = await sql<{ id: string; via: string }>`select id::text as id, details ->> 'via' as via from public.audit_log
                                                            where id = any(${shown.map((r) => r.id)}::bigint[]) and details ? 'via'`.execute(tx);
      for (const v of via.rows) channels.set(v.id, v.via);
    }
    const data = shown.map((r) => ({
      id: r.id,
      occurred_at: r.cursor_at,
      actor: actorOf(r.actor_name, r.actor_role),
      activity: ACTIVITY[r.action] ?? r.action,
      record_kind: r.kind,
      via: channels.get(r.id) ?? null,
    }));
    await recordRead(tx, { kind: "access_log", patientIds: [patientId], recordIds: data.map((d) => d.id) });
    const last = shown[shown.length - 1];
    return { data, next_cursor: more && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null };
  }, context);
}
