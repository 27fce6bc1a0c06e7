import { sql, type SqlBool, type Expression } from "kysely";
import type { Session } from "../auth/session-types";
import { requireAdmin } from "../auth/require";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { drainStagedReads, recordRead } from "./record";
import { encodeCursor, type AuditCursor, type AuditPage, type AuditRecordView, type TAuditFilters, type TListAuditQuery } from "./list-audit-records.types";

const UTC_MICROS = sql<string>`to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * One page of the trail, newest first, under the admin's own RLS policies. Keyset
 * pagination on (occurred_at, id) with an index for each filter (0204), so a page costs
 * the same on the millionth row as on the first. Exported for the CSV export.
 */
export async function selectAuditPage(tx: Tx, filters: TAuditFilters, cursor: AuditCursor | undefined, limit: number) {
  const conditions: Expression<SqlBool>[] = [];
  if (filters.actor) conditions.push(sql<SqlBool>`a.actor_id = ${filters.actor}::uuid`);
  if (filters.patient) conditions.push(sql<SqlBool>`a.patient_id = ${filters.patient}::uuid`);
  if (filters.action) conditions.push(sql<SqlBool>`a.action = ${filters.action}`);
  if (filters.table) conditions.push(sql<SqlBool>`a.table_name = ${filters.table}`);
  if (filters.from) conditions.push(sql<SqlBool>`a.occurred_at >= ${filters.from.toISOString()}::timestamptz`);
  if (filters.to) conditions.push(sql<SqlBool>`a.occurred_at < ${filters.to.toISOString()}::timestamptz`);
  if (cursor) conditions.push(sql<SqlBool>`(a.occurred_at, a.id) < (${cursor.at}::timestamptz, ${cursor.id}::bigint)`);
  const where = conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  const { rows } = await sql<{
    id: string; cursor_at: string; actor_id: string | null; actor_name: string | null; actor_account_role: string | null;
    actor_role: string | null; action: string; table_name: string | null; record_id: string | null; patient_id: string | null;
    details: Record<string, unknown> | null; old_row: Record<string, unknown> | null; new_row: Record<string, unknown> | null;
    request_id: string | null; ip: string | null; user_agent: string | null; chain_id: number; chain_seq: string;
  }>`
    select a.id::text as id, ${UTC_MICROS} as cursor_at, a.actor_id, u.full_name as actor_name, u.role as actor_account_role,
           a.actor_role, a.action, a.table_name, a.record_id, a.patient_id, a.details, a.old_row, a.new_row,
           a.request_id, a.ip, a.user_agent, a.chain_id, a.chain_seq::text as chain_seq
      from public.audit_log a
      left join auth.users u on u.id = a.actor_id
      ${where}
     order by a.occurred_at desc, a.id desc
     limit ${limit + 1}`.execute(tx);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const data: AuditRecordView[] = page.map((r) => ({
    id: r.id,
    occurred_at: r.cursor_at,
    actor: r.actor_id ? { id: r.actor_id, name: r.actor_name, role: r.actor_account_role } : null,
    actor_role: r.actor_role,
    action: r.action,
    table: r.table_name,
    record_id: r.record_id,
    patient_id: r.patient_id,
    details: r.details,
    old_row: r.old_row,
    new_row: r.new_row,
    request_id: r.request_id,
    ip: r.ip,
    user_agent: r.user_agent,
    chain: { id: r.chain_id, seq: r.chain_seq },
  }));
  const last = page[page.length - 1];
  const next: AuditCursor | null = more && last ? { at: last.cursor_at, id: last.id } : null;
  return { data, next };
}

/** Reading the trail is itself recorded: one record per patient on the page (or one without). */
export async function recordTrailRead(tx: Tx, data: AuditRecordView[], details: Record<string, unknown>): Promise<void> {
  const patientIds = [...new Set(data.map((r) => r.patient_id).filter((p): p is string => p !== null))];
  await recordRead(tx, { kind: "audit_trail", patientIds, recordIds: data.map((r) => r.id), details });
}

export function describeFilters(f: TAuditFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.actor) out.actor = f.actor;
  if (f.patient) out.patient = f.patient;
  if (f.action) out.action = f.action;
  if (f.table) out.table = f.table;
  if (f.from) out.from = f.from.toISOString();
  if (f.to) out.to = f.to.toISOString();
  return out;
}

/** GET /api/v1/admin/audit: admins (aal2) search the trail. */
export async function listAuditRecords(session: Session, query: TListAuditQuery, context: RequestContext): Promise<AuditPage> {
  requireAdmin(session);
  const { cursor, limit = 50, ...filters } = query;
  await drainStagedReads(); // staged read records too (docs/audit.md)
  return withUser(session, async (tx) => {
    const { data, next } = await selectAuditPage(tx, filters, cursor, limit);
    await recordTrailRead(tx, data, { filters: describeFilters(filters), page: cursor ? "next" : "first" });
    return { data, next_cursor: next ? encodeCursor(next) : null };
  }, context);
}
