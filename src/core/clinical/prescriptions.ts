import { randomUUID } from "node:crypto";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { sql } from "kysely";
import { recordEvent } from "../audit/events";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import type { PrescriptionStatus } from "../db/schema";
import { findAllergyConflicts, type AllergyConflict } from "./allergy-conflicts";
import { assertPatientVisible } from "./patients";
import type { TCreatePrescriptionRequest, TUpdatePrescriptionRequest } from "./prescriptions.types";

export interface PrescriptionRow {
  id: string;
  visit_id: string | null;
  patient_id: string;
  prescriber_id: string;
  prescriber_name: string | null;
  medication: string;
  dosage: string;
  frequency: string;
  start_date: string;
  end_date: string | null;
  /** status = "active"; kept for older clients. */
  is_active: boolean;
  status: PrescriptionStatus;
  /** The reason given for the last status change (required to discontinue). */
  status_reason: string | null;
  status_changed_at: Date | null;
  /** Why the prescriber went ahead despite a recorded allergy. */
  allergy_override_reason: string | null;
  created_at: Date;
}

const COLUMNS = [
  "rx.id", "rx.visit_id", "rx.patient_id", "rx.prescriber_id", "u.full_name as prescriber_name", "rx.medication", "rx.dosage", "rx.frequency",
  "rx.start_date", "rx.end_date", "rx.is_active", "rx.status", "rx.status_reason", "rx.status_changed_at", "rx.allergy_override_reason", "rx.created_at",
] as const;

const PRESCRIBERS_ONLY =
  "Only the attending or a specialist on the care team who holds a prescribing credential (physician, nurse practitioner or physician assistant) can write or change prescriptions.";

/** A row-level security refusal (42501) of this statement, told in words. */
async function refusedAs<T>(message: string, statement: Promise<T>): Promise<T> {
  try {
    return await statement;
  } catch (e) {
    if ((e as { code?: unknown }).code === "42501") throw new ForbiddenError(message);
    throw e;
  }
}

/** 409 allergy_conflict: the drug matches a recorded allergy and no override reason was given. */
export class AllergyConflictError extends ConflictError {
  constructor(readonly conflicts: AllergyConflict[]) {
    const named = conflicts.map((c) => (c.drug_class ? `${c.allergy} (${c.kind === "cross_reactivity" ? `possible cross-reactivity with ${c.drug_class}` : c.drug_class})` : c.allergy));
    super(
      `This medication matches the patient's recorded allergy: ${named.join(", ")}. To prescribe it anyway, give the reason for overriding the allergy.`,
      "allergy_conflict",
      { allergy_override_reason: "is required: the medication matches a recorded allergy" },
    );
  }
}

export async function listPrescriptions(session: Session, patientId: string, context: RequestContext): Promise<PrescriptionRow[]> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const rows = await tx
      .selectFrom("prescriptions as rx")
      .leftJoin("auth.users as u", "u.id", "rx.prescriber_id")
      .select(COLUMNS)
      .where("rx.patient_id", "=", patientId)
      .orderBy("rx.is_active", "desc")
      .orderBy("rx.start_date", "desc")
      .limit(500)
      .execute();
    await recordRead(tx, { kind: "prescriptions", patientIds: [patientId], recordIds: rows.map((r) => r.id) });
    return rows;
  }, context);
}

export async function findVisiblePrescription(tx: Tx, prescriptionId: string): Promise<PrescriptionRow> {
  const row = await tx
    .selectFrom("prescriptions as rx")
    .leftJoin("auth.users as u", "u.id", "rx.prescriber_id")
    .select(COLUMNS)
    .where("rx.id", "=", prescriptionId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError("prescription");
  return row;
}

/**
 * Attending and specialist members with a prescribing credential prescribe, as themselves
 * (RLS: app.prescribable_patient_ids, prescriber_id = uid). A drug matching a recorded
 * allergy needs an override reason, stored on the prescription and audited.
 */
export async function createPrescription(
  session: Session,
  patientId: string,
  input: TCreatePrescriptionRequest,
  context: RequestContext,
): Promise<PrescriptionRow> {
  return withUser(session, async (tx) => {
    const patient = await tx.selectFrom("patients").select("allergies").where("id", "=", patientId).executeTakeFirst();
    if (!patient) throw new NotFoundError("patient");
    const conflicts = findAllergyConflicts(input.medication, patient.allergies);
    const override = conflicts.length ? (input.allergy_override_reason ?? null) : null;
    if (conflicts.length && !override) throw new AllergyConflictError(conflicts);
    if (input.visit_id) {
      const visit = await tx.selectFrom("visits").select("id").where("id", "=", input.visit_id).where("patient_id", "=", patientId).executeTakeFirst();
      if (!visit) throw new ValidationError("The visit does not belong to this patient.", { visit_id: "No such visit for this patient." }, "invalid_reference");
    }
    const id = randomUUID();
    await refusedAs(PRESCRIBERS_ONLY, tx
      .insertInto("prescriptions")
      .values({
        id,
        patient_id: patientId,
        prescriber_id: session.userId,
        visit_id: input.visit_id ?? null,
        medication: input.medication,
        dosage: input.dosage,
        frequency: input.frequency,
        start_date: input.start_date,
        end_date: input.end_date ?? null,
        allergy_override_reason: override,
      })
      .execute());
    if (override) {
      await recordEvent(tx, {
        action: "prescription.allergy_override",
        patientId,
        details: { prescription_id: id, allergies: conflicts.map((c) => c.allergy), reason: override },
      });
    }
    return findVisiblePrescription(tx, id);
  }, context);
}

/**
 * Change a prescription's status: attending and specialist members with a prescribing
 * credential (RLS). Discontinuing needs a reason (zod, and a check constraint) and ends the
 * prescription today (not before its start); completing sets an end date if it has none;
 * restarting clears an end date already past.
 */
export async function updatePrescription(
  session: Session,
  prescriptionId: string,
  input: TUpdatePrescriptionRequest,
  context: RequestContext,
): Promise<PrescriptionRow> {
  return withUser(session, async (tx) => {
    const before = await findVisiblePrescription(tx, prescriptionId);
    const endDate =
      input.status === "discontinued"
        ? sql<string>`greatest(start_date, least(coalesce(end_date, current_date), current_date))`
        : input.status === "completed"
          ? sql<string>`coalesce(end_date, greatest(start_date, current_date))`
          : sql<string | null>`case when end_date < current_date then null else end_date end`;
    const result = await tx
      .updateTable("prescriptions")
      .set({ status: input.status, status_reason: input.reason, end_date: endDate })
      .where("id", "=", prescriptionId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new ForbiddenError(PRESCRIBERS_ONLY);
    if (before.status !== input.status) {
      await recordEvent(tx, {
        action: "prescription.status_changed",
        patientId: before.patient_id,
        details: { prescription_id: prescriptionId, status: input.status, previous: before.status, ...(input.reason ? { reason: input.reason } : {}) },
      });
    }
    return findVisiblePrescription(tx, prescriptionId);
  }, context);
}
