import { randomUUID } from "node:crypto";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { clinicDayBounds, clinicTimeZone } from "../config/time-zone";
import { assertPatientVisible } from "./patients";
import { notifyPatient } from "../mail/notify-patient";
import type {
  TCreateAppointmentRequest,
  TPatchAppointmentRequest,
  TRescheduleAppointmentRequest,
  TUpdateAppointmentStatusRequest,
} from "./appointments.types";

export interface AppointmentRow {
  id: string;
  patient_id: string;
  provider_id: string;
  provider_name: string | null;
  starts_at: Date;
  ends_at: Date;
  status: string;
  reason: string | null;
  cancel_reason: string | null;
  cancelled_at: Date | null;
  created_at: Date;
  /** 'telehealth' offers the video visit (docs/telehealth.md). */
  visit_type: string;
}

const COLUMNS = [
  "a.id", "a.patient_id", "a.provider_id", "u.full_name as provider_name", "a.starts_at", "a.ends_at", "a.status", "a.reason",
  "a.cancel_reason", "a.cancelled_at", "a.created_at", "a.visit_type",
] as const;

/** The database refused an overlapping confirmed slot (exclusion constraint, docs/scheduling.md). */
const DOUBLE_BOOKED = () =>
  new ConflictError(
    "The provider already has a confirmed appointment that overlaps this time. Choose another time.",
    "appointment_conflict",
    { starts_at: "Overlaps another confirmed appointment of this provider." },
  );

/** Runs a write that may take a provider's slot; an overlap becomes 409 appointment_conflict. */
async function takingSlot<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    const err = e as { code?: string; constraint?: string };
    if (err?.code === "23P01" && err.constraint === "appointments_no_double_booking") throw DOUBLE_BOOKED();
    throw e;
  }
}

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

async function assertOnCareTeam(tx: Tx, patientId: string, providerId: string): Promise<void> {
  const member = await tx.selectFrom("care_team").select("provider_id").where("patient_id", "=", patientId).where("provider_id", "=", providerId).executeTakeFirst();
  if (!member) {
    throw new ValidationError("Choose a provider from the patient's care team.", { provider_id: "Not on this patient's care team." }, "invalid_reference");
  }
}

/** POST /patients/{id}/appointments: providers book (confirmed), everyone else requests. */
export async function createAppointment(
  session: Session,
  patientId: string,
  input: TCreateAppointmentRequest,
  context: RequestContext,
): Promise<AppointmentRow> {
  return session.role === "provider" ? bookAppointment(session, patientId, input, context) : requestAppointment(session, patientId, input, context);
}

/**
 * A patient requests an appointment with a provider of their care team (the attending
 * when none is named). It holds no slot until a provider confirms it.
 */
export async function requestAppointment(
  session: Session,
  patientId: string,
  input: TCreateAppointmentRequest,
  context: RequestContext,
): Promise<AppointmentRow> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    let providerId = input.provider_id;
    if (!providerId) {
      const attending = await tx.selectFrom("care_team").select("provider_id").where("patient_id", "=", patientId).where("role", "=", "attending").executeTakeFirst();
      if (!attending) throw new ValidationError("Choose a provider from the patient's care team.", { provider_id: "Choose a provider." });
      providerId = attending.provider_id;
    }
    await assertOnCareTeam(tx, patientId, providerId);
    const id = randomUUID();
    await tx
      .insertInto("appointments")
      .values({ id, patient_id: patientId, provider_id: providerId, starts_at: input.starts_at, ends_at: input.ends_at, reason: input.reason ?? null, status: "requested", requested_by: session.userId, visit_type: input.visit_type ?? "office" })
      .execute();
    return findVisibleAppointment(tx, id);
  }, context);
}

/**
 * A care-team member books an appointment for their patient with a provider of the care
 * team (themselves when none is named), confirmed at once. The database refuses a slot that
 * overlaps another confirmed appointment of that provider: 409 appointment_conflict.
 */
export async function bookAppointment(
  session: Session,
  patientId: string,
  input: TCreateAppointmentRequest,
  context: RequestContext,
): Promise<AppointmentRow> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const providerId = input.provider_id ?? session.userId;
    await assertOnCareTeam(tx, patientId, providerId);
    const id = randomUUID();
    await takingSlot(() =>
      tx
        .insertInto("appointments")
        .values({ id, patient_id: patientId, provider_id: providerId, starts_at: input.starts_at, ends_at: input.ends_at, reason: input.reason ?? null, status: "confirmed", requested_by: session.userId, visit_type: input.visit_type ?? "office" })
        .execute(),
    );
    await notifyPatient(tx, patientId, "appointment_booked"); // issue #14: "sign in to see", in this transaction
    return findVisibleAppointment(tx, id);
  }, context);
}

/** PATCH /appointments/{id}: a status change (cancel included) or a reschedule. */
export async function patchAppointment(
  session: Session,
  appointmentId: string,
  input: TPatchAppointmentRequest,
  context: RequestContext,
): Promise<AppointmentRow> {
  if (input.status === "cancelled") return cancelAppointment(session, appointmentId, { reason: input.reason }, context);
  if (input.status !== undefined) return updateAppointmentStatus(session, appointmentId, { status: input.status }, context);
  return rescheduleAppointment(session, appointmentId, { starts_at: input.starts_at!, ends_at: input.ends_at! }, context);
}

/**
 * Care-team members confirm, decline or complete (cancelling goes through
 * cancelAppointment). The database enforces the transitions (app.appointments_guard) and
 * that a provider is never double-booked (exclusion constraint on confirmed slots).
 */
export async function updateAppointmentStatus(
  session: Session,
  appointmentId: string,
  input: TUpdateAppointmentStatusRequest,
  context: RequestContext,
): Promise<AppointmentRow> {
  if (input.status === "cancelled") return cancelAppointment(session, appointmentId, { reason: input.reason }, context);
  return withUser(session, async (tx) => {
    const before = await findVisibleAppointment(tx, appointmentId);
    const result = await takingSlot(() => tx.updateTable("appointments").set({ status: input.status }).where("id", "=", appointmentId).executeTakeFirst());
    if (Number(result.numUpdatedRows) === 0) throw new ForbiddenError("You cannot change this appointment.");
    // issue #14: a confirmed request is booked; a declined one changed
    if (input.status === "confirmed" || input.status === "declined") {
      await notifyPatient(tx, before.patient_id, input.status === "confirmed" ? "appointment_booked" : "appointment_changed");
    }
    return findVisibleAppointment(tx, appointmentId);
  }, context);
}

/** The care team moves a requested or confirmed appointment; a confirmed one keeps its slot rules (409 on overlap). */
export async function rescheduleAppointment(
  session: Session,
  appointmentId: string,
  input: TRescheduleAppointmentRequest,
  context: RequestContext,
): Promise<AppointmentRow> {
  return withUser(session, async (tx) => {
    const before = await findVisibleAppointment(tx, appointmentId);
    if (before.status !== "requested" && before.status !== "confirmed") {
      throw new ValidationError(`An appointment that is ${before.status} cannot be rescheduled.`, { starts_at: "Only requested or confirmed appointments move." });
    }
    const result = await takingSlot(() =>
      tx.updateTable("appointments").set({ starts_at: input.starts_at, ends_at: input.ends_at }).where("id", "=", appointmentId).executeTakeFirst(),
    );
    if (Number(result.numUpdatedRows) === 0) throw new ForbiddenError("You cannot change this appointment.");
    await notifyPatient(tx, before.patient_id, "appointment_changed"); // issue #14
    return findVisibleAppointment(tx, appointmentId);
  }, context);
}

/**
 * Cancels with a reason (required from staff; a patient cancelling their own may give
 * one). Who and when are stamped by the database.
 */
export async function cancelAppointment(
  session: Session,
  appointmentId: string,
  input: { reason?: string },
  context: RequestContext,
): Promise<AppointmentRow> {
  return withUser(session, async (tx) => {
    const before = await findVisibleAppointment(tx, appointmentId);
    const reason = input.reason?.trim() || null;
    if (!reason && session.role !== "patient") {
      throw new ValidationError("Say why the appointment is cancelled.", { reason: "Give a reason for cancelling." });
    }
    const result = await tx.updateTable("appointments").set({ status: "cancelled", cancel_reason: reason }).where("id", "=", appointmentId).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new ForbiddenError("You cannot change this appointment.");
    await notifyPatient(tx, before.patient_id, "appointment_cancelled"); // issue #14: not when the patient cancels (the database skips them)
    return findVisibleAppointment(tx, appointmentId);
  }, context);
}

export interface TodayAppointmentRow extends AppointmentRow {
  patient_name: string;
  patient_mrn: string;
}

/**
 * The signed-in provider's own appointments (requested, confirmed, completed) on the clinic
 * day that holds `at`, in the clinic's time zone, earliest first.
 */
export async function listMyAppointmentsForDay(
  session: Session,
  context: RequestContext,
  at: Date = new Date(),
  timeZone: string = clinicTimeZone(),
): Promise<{ date: string; timeZone: string; appointments: TodayAppointmentRow[] }> {
  const { start, end, date } = clinicDayBounds(at, timeZone);
  return withUser(session, async (tx) => {
    const rows = await tx
      .selectFrom("appointments as a")
      .innerJoin("patients as p", "p.id", "a.patient_id")
      .leftJoin("auth.users as u", "u.id", "a.provider_id")
      .select([...COLUMNS, "p.first_name", "p.last_name", "p.mrn as patient_mrn"])
      .where("a.provider_id", "=", session.userId)
      .where("a.starts_at", ">=", start)
      .where("a.starts_at", "<", end)
      .where("a.status", "in", ["requested", "confirmed", "completed"])
      .orderBy("a.starts_at")
      .limit(200)
      .execute();
    if (rows.length > 0) {
      await recordRead(tx, { kind: "appointments", patientIds: [...new Set(rows.map((r) => r.patient_id))], recordIds: rows.map((r) => r.id), details: { view: "today" } });
    }
    const appointments = rows.map(({ first_name, last_name, ...r }) => ({ ...r, patient_name: `${first_name} ${last_name}` }));
    return { date, timeZone, appointments };
  }, context);
}
