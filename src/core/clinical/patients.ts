import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { readRecordColumn, recordRead } from "../audit/record";
import { unreadCounts } from "../messages/list-messages";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors";
import type { TCreatePatientRequest, TListPatientsQuery, TUpdatePatientRequest } from "./patients.types";

const PATIENT_COLUMNS = [
  "id", "user_id", "first_name", "last_name", "date_of_birth", "gender", "blood_type", "allergies",
  "emergency_contact", "address", "insurance", "mrn", "created_by", "created_at", "updated_at",
] as const;

export interface PatientRow {
  id: string;
  first_name: string;
  last_name: string;
  date_of_birth: string;
  gender: string;
  blood_type: string | null;
  allergies: string[];
  emergency_contact: Record<string, unknown> | null;
  address: string | null;
  insurance: Record<string, unknown> | null;
  mrn: string;
  has_portal_account: boolean;
  created_at: Date;
  updated_at: Date;
}

function toPatient(row: Record<string, unknown>): PatientRow {
  return {
    id: row.id as string,
    first_name: row.first_name as string,
    last_name: row.last_name as string,
    date_of_birth: row.date_of_birth as string,
    gender: row.gender as string,
    blood_type: (row.blood_type as string | null) ?? null,
    allergies: (row.allergies as string[]) ?? [],
    emergency_contact: (row.emergency_contact as Record<string, unknown> | null) ?? null,
    address: (row.address as string | null) ?? null,
    insurance: (row.insurance as Record<string, unknown> | null) ?? null,
    mrn: row.mrn as string,
    has_portal_account: row.user_id != null,
    created_at: row.created_at as Date,
    updated_at: row.updated_at as Date,
  };
}

/** Loads a patient the caller can see, inside their transaction; 404 otherwise. */
export async function findVisiblePatient(tx: Tx, patientId: string): Promise<PatientRow> {
  const row = await tx.selectFrom("patients").select(PATIENT_COLUMNS).where("id", "=", patientId).executeTakeFirst();
  if (!row) throw new NotFoundError("patient");
  return toPatient(row);
}

/** Throws 404 unless the caller can read the patient. Cheap: no audit record (nothing is returned). */
export async function assertPatientVisible(tx: Tx, patientId: string): Promise<void> {
  const row = await tx.selectFrom("patients").select("id").where("id", "=", patientId).executeTakeFirst();
  if (!row) throw new NotFoundError("patient");
}

export async function getPatient(session: Session, patientId: string, context: RequestContext): Promise<PatientRow> {
  return withUser(session, async (tx) => {
    // the read and its audit record in one statement (one round trip; docs/audit.md)
    const row = await tx
      .selectFrom("patients")
      .select([...PATIENT_COLUMNS, readRecordColumn("patient_chart", "patients.id")])
      .where("id", "=", patientId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError("patient");
    return toPatient(row);
  }, context, { oneStatement: true });
}

/** The signed-in patient's own record. */
export async function getMyPatient(session: Session, context: RequestContext): Promise<PatientRow> {
  return withUser(session, async (tx) => {
    const row = await tx
      .selectFrom("patients")
      .select([...PATIENT_COLUMNS, readRecordColumn("patient_chart", "patients.id")])
      .where("user_id", "=", session.userId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError("patient record");
    return toPatient(row);
  }, context, { oneStatement: true });
}

function patientValues(input: Partial<TCreatePatientRequest>) {
  const v: Record<string, unknown> = {};
  for (const key of ["first_name", "last_name", "date_of_birth", "gender", "blood_type", "address", "mrn"] as const) {
    if (input[key] !== undefined) v[key] = input[key];
  }
  if (input.allergies !== undefined) v.allergies = [...new Set(input.allergies)];
  if (input.emergency_contact !== undefined) v.emergency_contact = input.emergency_contact ? JSON.stringify(input.emergency_contact) : null;
  if (input.insurance !== undefined) v.insurance = input.insurance ? JSON.stringify(input.insurance) : null;
  return v;
}

/**
 * Registers a patient. RLS decides who may (verified providers, admins); the creating
 * provider joins the care team as attending (trigger app.creator_joins_care_team).
 */
export async function createPatient(session: Session, input: TCreatePatientRequest, context: RequestContext): Promise<PatientRow> {
  return withUser(session, async (tx) => {
    const id = randomUUID();
    // No RETURNING: the new row becomes visible to its creator only once the trigger has
    // added them to the care team, i.e. from the next statement on. Without an MRN, the
    // column default (app.next_mrn) assigns one.
    await tx
      .insertInto("patients")
      .values({ ...(patientValues(input) as TCreatePatientRequest & { mrn: string; emergency_contact: string | null; insurance: string | null }), id, created_by: session.userId })
      .execute();
    return findVisiblePatient(tx, id);
  }, context).catch(mrnConflict);
}

export async function updatePatient(session: Session, patientId: string, input: TUpdatePatientRequest, context: RequestContext): Promise<PatientRow> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const result = await tx.updateTable("patients").set(patientValues(input)).where("id", "=", patientId).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      // visible but not writable (e.g. the patient themself)
      throw new ForbiddenError("You can read this record but not change it.");
    }
    return findVisiblePatient(tx, patientId);
  }, context).catch(mrnConflict);
}

/** The one answer to an MRN already on file, whoever's record has it (docs/mrn.md). */
export const MRN_UNAVAILABLE = "This MRN cannot be used. Leave it empty and the clinic assigns one.";

/**
 * Be careful here: a caller must not learn that a record they cannot see exists. The unique
 * index alone decides the conflict (no lookup, no branch on visibility), so a conflict with
 * a record on the caller's care team and one with a stranger's record take the same path
 * and get the same answer.
 */
function mrnConflict(e: unknown): never {
  const err = e as { code?: unknown; constraint?: unknown };
  if (err?.code === "23505" && err.constraint === "patients_mrn_unique") {
    throw new ConflictError(MRN_UNAVAILABLE, "mrn_unavailable", { mrn: MRN_UNAVAILABLE });
  }
  throw e;
}

export interface PatientListItem {
  id: string;
  first_name: string;
  last_name: string;
  date_of_birth: string;
  gender: string;
  mrn: string;
  last_visit_date: Date | null;
  last_diagnosis: string | null;
  active_prescriptions: number;
  /** Unread care-team messages for the caller; only with `{ unreadMessages: true }` (the dashboard). */
  unread_messages?: number;
}

const ORDER: Record<TListPatientsQuery["sort"], ReturnType<typeof sql>> = {
  name: sql`lower(p.last_name), lower(p.first_name), p.id`,
  "-name": sql`lower(p.last_name) desc, lower(p.first_name) desc, p.id desc`,
  date_of_birth: sql`p.date_of_birth, p.id`,
  "-date_of_birth": sql`p.date_of_birth desc, p.id desc`,
  last_visit: sql`last_visit_date asc nulls first, p.id`,
  "-last_visit": sql`last_visit_date desc nulls last, p.id`,
};

/** Escapes LIKE wildcards in user input. */
const likePrefix = (s: string) => `${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The patients the caller can see (RLS), with last visit, last diagnosis and active
 * prescription count; searched by name or MRN; sorted and paginated in the database.
 * `unreadMessages` adds the caller's unread care-team messages per row (one query for the
 * page; the dashboard's badge, not part of the API's answer).
 */
export async function listPatients(
  session: Session,
  query: TListPatientsQuery,
  context: RequestContext,
  options: { unreadMessages?: boolean } = {},
): Promise<{ data: PatientListItem[]; count: number }> {
  return withUser(session, async (tx) => {
    const search = query.search ? likePrefix(query.search) : null;
    const filter = search
      ? sql`where (lower(p.last_name) like ${search} or lower(p.first_name) like ${search}
                  or lower(p.first_name || ' ' || p.last_name) like ${search} or lower(p.mrn) like ${search})`
      : sql``;
    const byVisit = query.sort === "last_visit" || query.sort === "-last_visit";
    // Sorting by name or birth date pages first and computes the lateral columns only for
    // the page; sorting by last visit needs every visible patient's last visit. Those come
    // from one grouped read of the visible visits (RLS narrows the scan once), not from one
    // probe per patient, each of which would re-check the policy's set (docs/rls-shape.md).
    const { rows } = await sql<PatientListItem & { active_prescriptions: string }>`
      with page as (
        select p.id, p.first_name, p.last_name, p.date_of_birth, p.gender, p.mrn
          ${byVisit ? sql`, lv.last_visit_date` : sql``}
          from patients p
          ${byVisit ? sql`left join (select v.patient_id, max(v.visit_date) as last_visit_date from visits v group by v.patient_id) lv on lv.patient_id = p.id` : sql``}
          ${filter}
         order by ${ORDER[query.sort]}
         limit ${query.limit} offset ${query.offset}
      )
      select p.id, p.first_name, p.last_name, p.date_of_birth, p.gender, p.mrn,
             lv.visit_date as last_visit_date, lv.diagnosis as last_diagnosis,
             (select count(*) from prescriptions rx where rx.patient_id = p.id and rx.is_active) as active_prescriptions
        from page p
        left join lateral (
          select v.visit_date, v.diagnosis from visits v where v.patient_id = p.id order by v.visit_date desc limit 1
        ) lv on true
       order by ${ORDER[query.sort]}`.execute(tx);
    const { rows: countRows } = await sql<{ count: string }>`select count(*) as count from patients p ${filter}`.execute(tx);
    const data: PatientListItem[] = rows.map((r) => ({ ...r, active_prescriptions: Number(r.active_prescriptions) }));
    // Only providers on care teams have a channel to read (admins never do).
    if (options.unreadMessages && session.role === "provider" && data.length > 0) {
      const unread = await unreadCounts(tx, data.map((r) => r.id));
      for (const r of data) r.unread_messages = unread[r.id] ?? 0;
    }
    if (data.length > 0) {
      await recordRead(tx, { kind: "patient_list", patientIds: data.map((r) => r.id), details: { count: data.length } });
    }
    return { data, count: Number(countRows[0]?.count ?? 0) };
  }, context);
}
