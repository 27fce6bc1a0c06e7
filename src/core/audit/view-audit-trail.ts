import { sql, type Expression, type SqlBool } from "kysely";
import type { Session } from "../auth/session-types";
import { requireAdmin } from "../auth/require";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { describeFilters, selectAuditPage } from "./list-audit-records";
import { encodeCursor, parseAuditQuery, ZListAuditQuery, type AuditCursor, type AuditRecordView, type TAuditFilters } from "./list-audit-records.types";
import { drainStagedReads, recordRead } from "./record";

/**
 * The admin audit page (/admin/audit): one page of the trail as GET /api/v1/admin/audit
 * returns it (selectAuditPage, same RLS, same record of the read), plus what a person needs
 * to read it: the names of the patients on the page and of the filtered actor and
 * patient, and keyset cursors both ways (older and newer), so "Previous page" costs what
 * "Next page" costs at any depth. Never OFFSET.
 */
export interface AuditTrailPage {
  records: AuditRecordView[];
  /** patient id → "Last, First", for the records' patients and the patient filter. */
  patientNames: Record<string, string>;
  actorFilter: { id: string; name: string; role: string } | null;
  /** Cursor of the next (older) page, or null on the last page. */
  older: string | null;
  /** Cursor of the previous (newer) page, or null on the first page. */
  newer: string | null;
}

export interface AuditTrailQuery extends TAuditFilters {
  limit?: number;
  /** Records older than this position (the "Next page" link). */
  after?: AuditCursor;
  /** Records newer than this position (the "Previous page" link). */
  before?: AuditCursor;
}

/**
 * Reads the page's query string (ids, enum-like names, dates, cursors only) with the API's
 * own rules. `before` carries a cursor too. Throws BadRequestError naming the parameter.
 */
export function parseAuditTrailQuery(params: Record<string, string | string[] | undefined>): AuditTrailQuery {
  const plain = new URLSearchParams();
  let before: string | undefined;
  for (const [k, v] of Object.entries(params)) {
    const value = Array.isArray(v) ? v[v.length - 1] : v;
    if (value === undefined || value === "") continue;
    if (k === "before") before = value;
    else plain.set(k, value);
  }
  const q = parseAuditQuery(`http://page.invalid/?${plain}`, ZListAuditQuery);
  const { cursor, ...rest } = q;
  const out: AuditTrailQuery = { ...rest, after: cursor };
  if (before !== undefined) {
    const parsed = parseAuditQuery(`http://page.invalid/?${new URLSearchParams({ cursor: before })}`, ZListAuditQuery);
    out.before = parsed.cursor;
    if (out.after) out.after = undefined; // both given: the newer page wins (a link never carries both)
  }
  return out;
}

function filterConditions(f: TAuditFilters): Expression<SqlBool>[] {
  const c: Expression<SqlBool>[] = [];
  if (f.actor) c.push(sql<SqlBool>`a.actor_id = ${f.actor}::uuid`);
  if (f.patient) c.push(sql<SqlBool>`a.patient_id = ${f.patient}::uuid`);
  if (f.action) c.push(sql<SqlBool>`a.action = ${f.action}`);
  if (f.table) c.push(sql<SqlBool>`a.table_name = ${f.table}`);
  if (f.from) c.push(sql<SqlBool>`a.occurred_at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) c.push(sql<SqlBool>`a.occurred_at < ${f.to.toISOString()}::timestamptz`);
  return c;
}

/**
 * The `limit + 1` positions just newer than `before`, nearest first (the same indexes
 * walked backwards). Tells where the newer page starts and whether one exists before it.
 */
async function positionsNewerThan(tx: Tx, filters: TAuditFilters, before: AuditCursor, limit: number): Promise<AuditCursor[]> {
  const conditions = [...filterConditions(filters), sql<SqlBool>`(a.occurred_at, a.id) > (${before.at}::timestamptz, ${before.id}::bigint)`];
  const { rows } = await sql<{ at: string; id: string }>`
    select to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, a.id::text as id
      from public.audit_log a
     where ${sql.join(conditions, sql` and `)}
     order by a.occurred_at asc, a.id asc
     limit ${limit + 1}`.execute(tx);
  return rows;
}

/** Admins (aal2). Records the read of the trail like the API does, naming every patient shown. */
export async function viewAuditTrail(session: Session, query: AuditTrailQuery, context: RequestContext): Promise<AuditTrailPage> {
  requireAdmin(session);
  const { limit = 50, after, before, ...filters } = query;
  await drainStagedReads(); // staged read records too (docs/audit.md)
  return withUser(session, async (tx) => {
    let cursor = after;
    let hasNewer = after !== undefined;
    if (before) {
      const newer = await positionsNewerThan(tx, filters, before, limit);
      // More than a page newer: the page ends just below the farthest position; else it is the first page.
      cursor = newer.length > limit ? newer[limit] : undefined;
      hasNewer = newer.length > limit;
    }
    const { data, next } = await selectAuditPage(tx, filters, cursor, limit);

    const patientIds = [...new Set([...data.map((r) => r.patient_id), filters.patient ?? null].filter((p): p is string => p !== null))];
    const patients = patientIds.length
      ? await tx.selectFrom("patients").select(["id", "first_name", "last_name"]).where("id", "in", patientIds).execute()
      : [];
    const actor = filters.actor
      ? await tx.selectFrom("auth.users").select(["id", "full_name", "role"]).where("id", "=", filters.actor).executeTakeFirst()
      : undefined;

    await recordRead(tx, {
      kind: "audit_trail",
      patientIds,
      recordIds: data.map((r) => r.id),
      details: { filters: describeFilters(filters), page: before ? "previous" : after ? "next" : "first", view: "admin_page" },
    });

    const first = data[0];
    return {
      records: data,
      patientNames: Object.fromEntries(patients.map((p) => [p.id, `${p.last_name}, ${p.first_name}`])),
      actorFilter: actor ? { id: actor.id, name: actor.full_name, role: actor.role } : null,
      older: next ? encodeCursor(next) : null,
      newer: hasNewer && first ? encodeCursor({ at: first.occurred_at, id: first.id }) : null,
    };
  }, context);
}
