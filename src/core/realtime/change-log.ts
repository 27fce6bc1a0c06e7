import { sql } from "kysely";
import { asService } from "../db/with-user";
import type { ChangeTable } from "./protocol";
import type { StoredChange } from "./shapes";

/**
 * What the feed reads back from app.change_events (db/migrations/0400): the replay source
 * for a client that reconnects with `since`, and for an instance whose LISTEN connection
 * was lost. Ids only; the rows themselves are read at delivery (shapes.ts). Service only:
 * no application role may read the change log.
 */

interface ChangeRow {
  id: string;
  table_name: ChangeTable;
  op: StoredChange["op"];
  record_ids: string[];
  patient_id: string;
}

function toStoredChange(r: ChangeRow): StoredChange {
  return {
    eventId: Number(r.id),
    table: r.table_name,
    op: r.op,
    // a vitals batch's sample ids are read from app.change_events at delivery
    recordIds: r.table_name === "vitals" ? [] : r.record_ids,
    patientId: r.patient_id,
  };
}

/** The newest change event id (0 when there is none). */
export async function newestChangeId(): Promise<number> {
  return asService("realtime: newest change event id", async (tx) => {
    const { rows } = await sql<{ id: string | null }>`select max(id)::text as id from app.change_events`.execute(tx);
    return Number(rows[0]?.id ?? 0);
  });
}

/** Events up to this id may have been pruned: a replay from before it would be incomplete. */
export async function pruningHorizon(): Promise<number> {
  return asService("realtime replay: pruning horizon", async (tx) => {
    const { rows } = await sql<{ h: string }>`select pruned_through::text as h from app.change_events_horizon`.execute(tx);
    return Number(rows[0]?.h ?? 0);
  });
}

/** One topic's events after `after`, oldest first (a client's replay). */
export async function topicChangesAfter(
  patientId: string,
  tables: readonly ChangeTable[],
  after: number,
  limit: number,
): Promise<StoredChange[]> {
  const rows = await asService("realtime replay: missed change ids", async (tx) => {
    // `order by e.id`, the bigint: a bare `id` would name the text output column (9 after 10)
    const r = await sql<ChangeRow>`
      select e.id::text as id, e.table_name, e.op, e.record_ids, e.patient_id::text as patient_id
        from app.change_events e
       where e.patient_id = ${patientId} and e.id > ${after}
         and e.table_name = any (${[...tables]}::text[])
       order by e.id
       limit ${limit}`.execute(tx);
    return r.rows;
  });
  return rows.map(toStoredChange);
}

/**
 * Events after `after` of these patients, oldest first, and the newest event id of all
 * (an instance catching up after its LISTEN connection was lost: only the patients it
 * has subscribers for, so a long outage costs what it must deliver, not the whole log).
 */
export async function changesAfter(
  after: number,
  patientIds: readonly string[],
  limit: number,
): Promise<{ changes: StoredChange[]; newestId: number }> {
  return asService("realtime catch-up after the change listener reconnected", async (tx) => {
    const { rows: newest } = await sql<{ id: string | null }>`select max(id)::text as id from app.change_events`.execute(tx);
    if (patientIds.length === 0) return { changes: [], newestId: Number(newest[0]?.id ?? 0) };
    const { rows } = await sql<ChangeRow>`
      select e.id::text as id, e.table_name, e.op, e.record_ids, e.patient_id::text as patient_id
        from app.change_events e
       where e.id > ${after} and e.patient_id = any (${[...patientIds]}::uuid[])
       order by e.id
       limit ${limit}`.execute(tx);
    return { changes: rows.map(toStoredChange), newestId: Number(newest[0]?.id ?? 0) };
  });
}
