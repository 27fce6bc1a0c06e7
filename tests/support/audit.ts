import { sql } from "kysely";
import { serviceQuery } from "./seed";

/** One audit record as tests compare them. */
export interface AuditRow {
  id: string;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  table_name: string | null;
  record_id: string | null;
  patient_id: string | null;
  old_row: Record<string, unknown> | null;
  new_row: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
}

/** The id of the newest audit record ("0" when the trail is empty): take it before the call under test. */
export async function lastAuditId(): Promise<string> {
  return serviceQuery(async (tx) => {
    const { rows } = await sql<{ id: string | null }>`select max(id)::text as id from public.audit_log`.execute(tx);
    return rows[0]?.id ?? "0";
  });
}

/**
 * The audit records written after `id`, oldest first. Note that serviceQuery itself writes
 * nothing, so calling this twice gives the same answer.
 *
 *   const before = await lastAuditId();
 *   await call(GET, { token, params: { id } });
 *   expect(reads(await auditRecordsSince(before))).toEqual([...]);
 */
export async function auditRecordsSince(id: string): Promise<AuditRow[]> {
  return serviceQuery(async (tx) => {
    const { rows } = await sql<AuditRow>`
      select id::text as id, actor_id, actor_role, action, table_name, record_id, patient_id, old_row, new_row, details,
             request_id, ip, user_agent
        from public.audit_log where id > ${id}::bigint order by id`.execute(tx);
    return rows;
  });
}

/** A compact view for assertions: "read patient_chart <patient>" / "insert visits <patient>". */
export function summarize(rows: AuditRow[]): string[] {
  return rows.map((r) => `${r.action} ${r.table_name ?? "-"} ${r.patient_id ?? "-"}`);
}
