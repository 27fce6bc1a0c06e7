import { sql } from "kysely";
import type { Tx } from "../db/with-user";
import type { ChangeTable } from "./protocol";

/**
 * What each kind of recipient may see of a changed row. Be careful when modifying this
 * file: it decides which columns leave the database on the realtime path.
 *
 * - staff (verified care-team providers): the columns the REST API shows them;
 * - patient (their own record): visits with their notes, as the REST API and the portal
 *   show them (open notes: docs/realtime.md, "Visit notes"); documents without the
 *   uploader and reviewer ids; never care messages (the delivery predicate for messages
 *   excludes patients already).
 * Internal columns (object keys, token hashes) go to nobody.
 */
export type Shape = "staff" | "patient";

export interface StoredChange {
  eventId: number;
  table: ChangeTable;
  op: "INSERT" | "UPDATE" | "DELETE";
  /** Empty for vitals batches: their ids are read from app.change_events by eventId. */
  recordIds: string[];
  patientId: string;
}

type Row = Record<string, unknown>;

const COLUMNS: Record<Exclude<ChangeTable, "vitals" | "care_messages">, Record<Shape, string>> = {
  visits: {
    staff: "id, patient_id, provider_id, visit_date, visit_type, chief_complaint, diagnosis, notes, vitals, created_at, updated_at",
    patient: "id, patient_id, provider_id, visit_date, visit_type, chief_complaint, diagnosis, notes, vitals, created_at, updated_at",
  },
  prescriptions: {
    staff: "id, visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date, end_date, is_active, created_at, updated_at",
    patient: "id, visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date, end_date, is_active, created_at, updated_at",
  },
  documents: {
    staff: "id, patient_id, uploaded_by, document_type, description, original_name, content_type, size_bytes, reviewed_at, reviewed_by, uploaded_at",
    patient: "id, patient_id, document_type, description, original_name, content_type, size_bytes, reviewed_at, uploaded_at",
  },
  appointments: {
    staff: "id, patient_id, provider_id, starts_at, ends_at, status, reason, requested_by, cancel_reason, cancelled_at, created_at, updated_at",
    patient: "id, patient_id, provider_id, starts_at, ends_at, status, reason, requested_by, cancel_reason, cancelled_at, created_at, updated_at",
  },
  // break-the-glass (0700): who, why and until when; never the admins' review
  emergency_access_grants: {
    staff: "id, patient_id, provider_id, (select u.full_name from auth.users u where u.id = provider_id) as provider_name, reason, created_at, expires_at, ended_at",
    patient: "id, patient_id, provider_id, (select u.full_name from auth.users u where u.id = provider_id) as provider_name, reason, created_at, expires_at, ended_at",
  },
};

/**
 * The samples of vitals batches (one event each), read in ONE statement for many events:
 * the same record for both shapes. An event whose samples are gone maps to nothing.
 */
export async function loadVitalsRecords(tx: Tx, changes: StoredChange[]): Promise<Map<number, Row>> {
  const { rows } = await sql<Row & { event_id: string; event_patient: string }>`
    select e.id::text as event_id, e.patient_id::text as event_patient, v.id::text as id, v.metric, v.value, v.unit, v.recorded_at,
           case when v.device_id is null then 'manual' else 'device' end as source
      from app.change_events e
      join public.vitals v on v.id = any (e.record_ids::bigint[]) and v.patient_id = e.patient_id
     where e.id = any (${changes.map((c) => c.eventId)}::bigint[])
       and e.table_name = 'vitals'
     order by e.id, v.recorded_at`.execute(tx);
  const byEvent = new Map<number, Row[]>();
  const patientOf = new Map(changes.map((c) => [c.eventId, c.patientId]));
  for (const { event_id, event_patient, ...sample } of rows) {
    const id = Number(event_id);
    if (patientOf.get(id) !== event_patient) continue; // the samples of the patient the change was authorised for, only
    const list = byEvent.get(id);
    if (list) list.push(sample);
    else byEvent.set(id, [sample]);
  }
  const out = new Map<number, Row>();
  for (const c of changes) {
    const samples = byEvent.get(c.eventId);
    if (samples) out.set(c.eventId, { patient_id: c.patientId, count: samples.length, samples });
  }
  return out;
}

/**
 * The changed row(s) as `shape` may see them, read once for all recipients of that shape.
 * Returns null when there is nothing to send (the row is gone again: a later DELETE
 * event follows).
 */
export async function loadRecord(tx: Tx, change: StoredChange, shape: Shape): Promise<Row | null> {
  if (change.op === "DELETE") return { id: change.recordIds[0], patient_id: change.patientId, deleted: true };

  if (change.table === "vitals") return (await loadVitalsRecords(tx, [change])).get(change.eventId) ?? null;

  if (change.table === "care_messages") {
    if (shape !== "staff") return null;
    const { rows } = await sql<Row>`
      select m.id, m.patient_id, m.sender_id, u.full_name as sender_name, m.message, m.priority, m.created_at
        from public.care_messages m left join auth.users u on u.id = m.sender_id
       where m.id = ${change.recordIds[0]}::uuid and m.patient_id = ${change.patientId}`.execute(tx);
    return rows[0] ?? null;
  }

  const columns = COLUMNS[change.table][shape];
  const liveOnly = change.table === "documents" ? sql`and deleted_at is null` : sql``;
  const { rows } = await sql<Row>`
    select ${sql.raw(columns)} from ${sql.table(`public.${change.table}`)}
     where id = ${change.recordIds[0]}::uuid and patient_id = ${change.patientId} ${liveOnly}`.execute(tx);
  if (rows.length === 0 && change.table === "documents") {
    return { id: change.recordIds[0], patient_id: change.patientId, deleted: true };
  }
  return rows[0] ?? null;
}
