import { randomUUID } from "node:crypto";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { assertPatientVisible } from "./patients";
import type { TCreateAppointmentRequest, TUpdateAppointmentRequest } from "./appointments.types";

export interface AppointmentRow {
  id: string;
  patient_id: string;
  provider_id: string;
  provider_name: string | null;
  starts_at: Date;
  ends_at: Date;
  status: string;
  reason: string | null;
  created_at: Date;
}

const COLUMNS = ["a.id", "a.patient_id", "a.provider_id", "u.full_name as provider_name", "a.starts_at", "a.ends_at", "a.status", "a.reason", "a.created_at"] as const;

async function findVisibleAppointment(tx: Tx, id: string): Promise<AppointmentRow> {
  const row = await tx.selectFrom("appointments as a").leftJoin("auth.users as u", "u.id", "a.provider_id").select(COLUMNS).where("a.id", "=", id).executeTakeFirst();
  if (!row) throw new NotFoundError("appointment");
  return row;
}

export async function listAppointments(session: Session, patientId: string, context: RequestContext): Promise<AppointmentRow[]> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const rows = await tx
      .selectFrom("appointments as a")
      .leftJoin("auth.users as u", "u.id", "a.provider_id")
      .select(COLUMNS)
      .where("a.patient_id", "=", patientId)
      .orderBy("a.starts_at", "desc")
      .limit(500)
      .execute();
    await recordRead(tx, { kind: "appointments", patientIds: [patientId], recordIds: rows.map((r) => r.id) });
    return rows;
  }, context);
}

/** Patients (and care-team members) request an appointment with a provider of the patient's care team. */
export async function requestAppointment(
  session: Session,
  patientId: string,
  input: TCreateAppointmentRequest,
  context: RequestContext,
): Promise<AppointmentRow> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const member = await tx.selectFrom("care_team").select("provider_id").where("patient_id", "=", patientId).where("provider_id", "=", input.provider_id).executeTakeFirst();
    if (!member) {
      throw new ValidationError("Choose a provider from the patient's care team.", { provider_id: "Not on this patient's care team." }, "invalid_reference");
    }
    const id = randomUUID();
    await tx
      .insertInto("appointments")
      .values({ id, patient_id: patientId, provider_id: input.provider_id, starts_at: input.starts_at, ends_at: input.ends_at, reason: input.reason ?? null, status: "requested", requested_by: session.userId })
      .execute();
    return findVisibleAppointment(tx, id);
  }, context);
}

/**
 * Care-team members confirm, decline, cancel or complete; patients may cancel their own.
 * The database enforces the transitions (app.appointments_guard) and that a provider is
 * never double-booked (exclusion constraint on confirmed slots).
 */
export async function updateAppointmentStatus(
  session: Session,
  appointmentId: string,
  input: TUpdateAppointmentRequest,
  context: RequestContext,
): Promise<AppointmentRow> {
  return withUser(session, async (tx) => {
    await findVisibleAppointment(tx, appointmentId);
    const result = await tx.updateTable("appointments").set({ status: input.status }).where("id", "=", appointmentId).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new ForbiddenError("You cannot change this appointment.");
    return findVisibleAppointment(tx, appointmentId);
  }, context);
}
