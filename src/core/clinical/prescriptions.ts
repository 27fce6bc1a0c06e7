import { randomUUID } from "node:crypto";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors";
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
  is_active: boolean;
  created_at: Date;
}

const COLUMNS = ["rx.id", "rx.visit_id", "rx.patient_id", "rx.prescriber_id", "u.full_name as prescriber_name", "rx.medication", "rx.dosage", "rx.frequency", "rx.start_date", "rx.end_date", "rx.is_active", "rx.created_at"] as const;

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

/** Attending and specialist members prescribe, as themselves (RLS: prescribable, prescriber_id = uid). */
export async function createPrescription(
  session: Session,
  patientId: string,
  input: TCreatePrescriptionRequest,
  context: RequestContext,
): Promise<PrescriptionRow> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    if (input.visit_id) {
      const visit = await tx.selectFrom("visits").select("id").where("id", "=", input.visit_id).where("patient_id", "=", patientId).executeTakeFirst();
      if (!visit) throw new ValidationError("The visit does not belong to this patient.", { visit_id: "No such visit for this patient." }, "invalid_reference");
    }
    const id = randomUUID();
    await tx
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
        is_active: true,
      })
      .execute();
    return findVisiblePrescription(tx, id);
  }, context);
}

/** Stop (or restart) a prescription: attending and specialist members only. */
export async function updatePrescription(
  session: Session,
  prescriptionId: string,
  input: TUpdatePrescriptionRequest,
  context: RequestContext,
): Promise<PrescriptionRow> {
  return withUser(session, async (tx) => {
    await findVisiblePrescription(tx, prescriptionId);
    const result = await tx.updateTable("prescriptions").set({ is_active: input.is_active }).where("id", "=", prescriptionId).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new ForbiddenError("Only the attending or a specialist on the care team can change prescriptions.");
    return findVisiblePrescription(tx, prescriptionId);
  }, context);
}
