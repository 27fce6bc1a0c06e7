import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { ForbiddenError } from "../errors";
import { findReadableDocument, selectDocuments, toDocumentView, type DocumentView } from "./document-view";

/**
 * Marks a document reviewed, as the caller. Providers on the patient's care team only (the
 * update policy); anyone else who can see it gets 403, anyone who cannot, 404. Reviewing
 * twice keeps the first review.
 */
export async function reviewDocument(session: Session, documentId: string, context: RequestContext): Promise<DocumentView> {
  return withUser(session, async (tx) => {
    const doc = await findReadableDocument(tx, documentId);
    if (session.role !== "provider") throw new ForbiddenError("Only the patient's care team reviews documents.");
    if (!doc.reviewed_at) {
      const r = await tx
        .updateTable("documents")
        // the database's clock: app.documents_guard accepts a review only at the time it is made
        .set({ reviewed_at: sql<Date>`now()`, reviewed_by: session.userId })
        .where("id", "=", documentId)
        .where("reviewed_at", "is", null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new ForbiddenError("Only the patient's care team reviews documents.");
    } else {
      // Nothing is written (the first review stands), yet the document is shown: record the read.
      await recordRead(tx, { kind: "documents", patientIds: [doc.patient_id], recordIds: [doc.id] });
    }
    return toDocumentView(await selectDocuments(tx).where("d.id", "=", documentId).executeTakeFirstOrThrow());
  }, context);
}
