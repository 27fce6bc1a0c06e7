import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { assertPatientVisible } from "../clinical/patients";
import { withUser, type RequestContext } from "../db/with-user";
import { selectDocuments, toDocumentView, type DocumentView } from "./document-view";

/** A patient's live documents, newest first (care team, the patient, admins); audited. */
export async function listDocuments(session: Session, patientId: string, context: RequestContext): Promise<DocumentView[]> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const rows = await selectDocuments(tx).where("d.patient_id", "=", patientId).orderBy("d.uploaded_at", "desc").orderBy("d.id").execute();
    await recordRead(tx, { kind: "documents", patientIds: [patientId], recordIds: rows.map((r) => r.id) });
    return rows.map(toDocumentView);
  }, context);
}
