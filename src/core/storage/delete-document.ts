import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import type { TDeleteDocumentRequest } from "./delete-document.types";

/**
 * Soft-deletes a document: an attending member of the care team, with a reason
 * (app.soft_delete_document decides; 404 if the caller cannot see it, 403 if they can but
 * are not attending). The write is audited by the table's triggers; the blob and its
 * storage.objects row stay until the retention job (purgeDeletedDocuments) removes them.
 */
export async function deleteDocument(
  session: Session,
  documentId: string,
  input: TDeleteDocumentRequest,
  context: RequestContext,
): Promise<void> {
  await withUser(session, async (tx) => {
    const { rows } = await sql<{ deleted: boolean }>`select app.soft_delete_document(${documentId}::uuid, ${input.reason}) as deleted`.execute(tx);
    if (!rows[0]?.deleted) throw new NotFoundError("document");
  }, context);
}
