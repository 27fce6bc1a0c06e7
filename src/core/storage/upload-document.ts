import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { assertPatientVisible } from "../clinical/patients";
import { withUser, type RequestContext } from "../db/with-user";
import { ForbiddenError } from "../errors";
import { validate } from "../http/parse";
import { loadStorageConfig, type StorageConfig } from "./config";
import { BUCKET, selectDocuments, toDocumentView, type DocumentView } from "./document-view";
import { objectStore } from "./index";
import type { ObjectStore } from "./object-store";
import { MULTIPART_OVERHEAD, receiveUpload, removeBlob, tooLarge, type UploadRequest } from "./receive-upload";
import { ZUploadDocumentFields } from "./upload-document.types";
import { notifyPatient } from "../mail/notify-patient";

export type { UploadRequest };


export interface UploadOptions {
  store?: ObjectStore;
  config?: StorageConfig;
}

/**
 * Receives a document: checks access, streams the file part through type sniffing, size
 * cap and SHA-256 into the object store, then commits the documents and storage.objects
 * rows in one transaction as the uploader (RLS decides again). The blob is written before
 * the rows and removed if they are not committed; a crash in between leaves a blob that
 * sweepOrphans() removes at start-up. So there is never a row without its blob.
 */
export async function uploadDocument(
  session: Session,
  patientId: string,
  request: UploadRequest,
  context: RequestContext,
  opts: UploadOptions = {},
): Promise<DocumentView> {
  const config = opts.config ?? loadStorageConfig();
  const store = opts.store ?? objectStore();

  const canWrite = await withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId); // 404 for a patient the caller cannot see
    const { rows } = await sql<{ ok: boolean }>`select ${patientId}::uuid = any (app.my_chartable_patient_ids()) as ok`.execute(tx);
    return rows[0]?.ok === true;
  }, context);
  if (!canWrite) throw new ForbiddenError("Only the patient's care team uploads documents.");

  if (request.contentLength !== null && request.contentLength > config.maxUploadBytes + MULTIPART_OVERHEAD) {
    throw tooLarge(config);
  }

  const { blob, fields } = await receiveUpload(request, patientId, store, config, context);
  try {
    const input = validate(ZUploadDocumentFields, fields, "form");
    return await withUser(session, async (tx) => {
      const id = randomUUID();
      await tx
        .insertInto("documents")
        .values({
          id,
          patient_id: patientId,
          uploaded_by: session.userId,
          object_key: blob.key,
          document_type: input.document_type,
          description: input.description,
          original_name: blob.fileName,
          content_type: blob.contentType,
          size_bytes: blob.size,
          sha256: blob.sha256,
        })
        .execute();
      await tx
        .insertInto("storage.objects")
        .values({
          bucket_id: BUCKET,
          name: blob.key,
          owner: session.userId,
          metadata: JSON.stringify({ document_id: id, size: blob.size, content_type: blob.contentType, sha256: blob.sha256 }),
        })
        .execute();
      // the patient is told by mail (no detail: "sign in to see"), unless they uploaded it or opted out
      await notifyPatient(tx, patientId, "document_added");
      return toDocumentView(await selectDocuments(tx).where("d.id", "=", id).executeTakeFirstOrThrow());
    }, context);
  } catch (e) {
    await removeBlob(store, blob.key);
    throw e;
  }
}
