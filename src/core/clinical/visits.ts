import { randomUUID } from "node:crypto";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { assertPatientVisible } from "./patients";
import type { VisitType } from "../db/schema";
import type { TCreateVisitRequest } from "./visits.types";

export interface VisitRow {
  id: string;
  patient_id: string;
  provider_id: string;
  provider_name: string | null;
  visit_date: Date;
  visit_type: VisitType;
  chief_complaint: string;
  diagnosis: string | null;
  notes: string | null;
  vitals: Record<string, unknown> | null;
  created_at: Date;
}

export async function listVisits(session: Session, patientId: string, context: RequestContext): Promise<VisitRow[]> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const rows = await tx
      .selectFrom("visits as v")
      .leftJoin("auth.users as u", "u.id", "v.provider_id")
      .select(["v.id", "v.patient_id", "v.provider_id", "u.full_name as provider_name", "v.visit_date", "v.visit_type", "v.chief_complaint", "v.diagnosis", "v.notes", "v.vitals", "v.created_at"])
      .where("v.patient_id", "=", patientId)
      .orderBy("v.visit_date", "desc")
      .limit(500)
      .execute();
    await recordRead(tx, { kind: "visits", patientIds: [patientId], recordIds: rows.map((r) => r.id) });
    return rows;
  }, context);
}

/** Any care-team member records a visit, as themselves (RLS: chartable and provider_id = uid). */
export async function createVisit(session: Session, patientId: string, input: TCreateVisitRequest, context: RequestContext): Promise<VisitRow> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const row = await tx
      .insertInto("visits")
      .values({
        id: randomUUID(),
        patient_id: patientId,
        provider_id: session.userId,
        visit_date: input.visit_date,
        visit_type: input.visit_type,
        chief_complaint: input.chief_complaint,
        diagnosis: input.diagnosis ?? null,
        notes: input.notes ?? null,
        vitals: input.vitals ? JSON.stringify(input.vitals) : null,
      })
      .returning(["id", "patient_id", "provider_id", "visit_date", "visit_type", "chief_complaint", "diagnosis", "notes", "vitals", "created_at"])
      .executeTakeFirstOrThrow();
    return { ...row, provider_name: null };
  }, context);
}
