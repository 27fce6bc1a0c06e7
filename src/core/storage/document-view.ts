import type { Tx } from "../db/with-user";
import { NotFoundError } from "../errors";

export const BUCKET = "medical-documents";

/** A document as the API shows it. The object key never leaves the server. */
export interface DocumentView {
  id: string;
  patient_id: string;
  document_type: string;
  description: string | null;
  file_name: string | null;
  content_type: string;
  size_bytes: number;
  sha256: string;
  uploaded_at: Date;
  uploaded_by: string;
  uploaded_by_name: string | null;
  reviewed_at: Date | null;
  reviewed_by: string | null;
}

/** Live documents visible to the caller (RLS decides), with the uploader's name where visible. */
export function selectDocuments(tx: Tx) {
  return tx
    .selectFrom("documents as d")
    .leftJoin("auth.users as u", "u.id", "d.uploaded_by")
    .select([
      "d.id", "d.patient_id", "d.document_type", "d.description", "d.original_name", "d.content_type", "d.size_bytes",
      "d.sha256", "d.uploaded_at", "d.uploaded_by", "u.full_name as uploaded_by_name", "d.reviewed_at", "d.reviewed_by",
      "d.object_key",
    ])
    .where("d.deleted_at", "is", null);
}

type Row = Awaited<ReturnType<ReturnType<typeof selectDocuments>["executeTakeFirstOrThrow"]>>;

export function toDocumentView(r: Row): DocumentView {
  return {
    id: r.id,
    patient_id: r.patient_id,
    document_type: r.document_type,
    description: r.description,
    file_name: r.original_name,
    content_type: r.content_type,
    size_bytes: Number(r.size_bytes),
    sha256: r.sha256,
    uploaded_at: r.uploaded_at,
    uploaded_by: r.uploaded_by,
    uploaded_by_name: r.uploaded_by_name ?? null,
    reviewed_at: r.reviewed_at,
    reviewed_by: r.reviewed_by,
  };
}

/**
 * A live document the caller can read, and its object row, which the caller must be able
 * to read too (storage.objects' own policies): 404 otherwise.
 */
export async function findReadableDocument(tx: Tx, documentId: string): Promise<Row> {
  const row = await selectDocuments(tx)
    .where("d.id", "=", documentId)
    .where((eb) =>
      eb.exists(
        eb.selectFrom("storage.objects as o").select("o.id").where("o.bucket_id", "=", BUCKET).whereRef("o.name", "=", "d.object_key"),
      ),
    )
    .executeTakeFirst();
  if (!row) throw new NotFoundError("document");
  return row;
}
