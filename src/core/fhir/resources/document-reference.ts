import { sql } from "kysely";
import { recordRead } from "../../audit/record";
import { loadStorageConfig } from "../../storage/config";
import { BUCKET } from "../../storage/document-view";
import { DOWNLOAD_PATH } from "../../storage/issue-signed-url";
import { signDownloadGrant } from "../../storage/signed-url-token";
import { DOCUMENT_TYPE } from "../codes";
import type { MapContext, ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, instant, meta, PATIENT_PARAMS, ref } from "./shared";
import type { Tx } from "../../db/with-user";

export interface DocumentSourceRow extends SourceRow {
  document_type: string;
  description: string | null;
  original_name: string | null;
  content_type: string;
  size_bytes: string;
  uploaded_at: Date;
  uploaded_by: string;
  uploader_name: string | null;
  object_key: string;
  status: string;
  /** Set by prepare: a download link issued to the caller. */
  url?: string;
}

/** documents → DocumentReference; attachment.url is a signed link issued to the caller (as POST /api/v1/documents/{id}/signed-url). */
export function toFhirDocumentReference(r: DocumentSourceRow): FhirResource {
  return compact({
    resourceType: "DocumentReference",
    id: r.id,
    meta: meta(r.last_updated),
    status: "current",
    type: { coding: [{ system: DOCUMENT_TYPE, code: r.document_type }], text: r.document_type.replace(/_/g, " ") },
    subject: ref("Patient", r.patient_id),
    date: instant(r.uploaded_at),
    author: [ref("Practitioner", r.uploaded_by, r.uploader_name)!],
    description: r.description ?? undefined,
    content: [{
      attachment: compact({
        contentType: r.content_type,
        url: r.url,
        size: Number(r.size_bytes),
        title: r.original_name ?? undefined,
        creation: instant(r.uploaded_at),
      }),
    }],
  });
}

/**
 * Issues the page's download links inside the caller's transaction, after the rows were
 * read under RLS (documents and their storage objects), and records them as the JSON API
 * records signed-URL issuing ('signed_url', one record per patient).
 */
async function issueLinks(tx: Tx, rows: DocumentSourceRow[], ctx: MapContext): Promise<void> {
  if (rows.length === 0) return;
  const config = loadStorageConfig();
  const expiresAt = Math.floor(Date.now() / 1000) + config.signedUrlDefaultSeconds;
  const byPatient = new Map<string, { ids: string[]; links: string[] }>();
  for (const r of rows) {
    const { token, nonce } = signDownloadGrant({ documentId: r.id, objectKey: r.object_key, session: ctx.session, expiresAt });
    r.url = new URL(`${DOWNLOAD_PATH}${token}`, ctx.origin).toString();
    const entry = byPatient.get(r.patient_id!) ?? { ids: [], links: [] };
    entry.ids.push(r.id);
    entry.links.push(nonce);
    byPatient.set(r.patient_id!, entry);
  }
  const expires_at = new Date(expiresAt * 1000).toISOString();
  for (const [patientId, e] of byPatient) {
    await recordRead(tx, { kind: "signed_url", patientIds: [patientId], recordIds: e.ids, details: { links: e.links, expires_at, via: "fhir" } });
  }
}

export const documentReferenceDefinition: ResourceDefinition<DocumentSourceRow> = {
  type: "DocumentReference",
  readKind: "documents",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<DocumentSourceRow>`select d.id, d.patient_id, greatest(d.uploaded_at, coalesce(d.reviewed_at, d.uploaded_at)) as last_updated,
      d.document_type, d.description, d.original_name, d.content_type, d.size_bytes::text as size_bytes, d.uploaded_at, d.uploaded_by,
      u.full_name as uploader_name, d.object_key, 'current'::text as status
    from public.documents d left join auth.users u on u.id = d.uploaded_by
   where d.deleted_at is null
     and exists (select 1 from storage.objects o where o.bucket_id = ${BUCKET} and o.name = d.object_key)`,
  params: {
    ...PATIENT_PARAMS,
    date: { type: "date", columns: ["uploaded_at"] },
    status: { type: "token", columns: ["status"], system: "http://hl7.org/fhir/document-reference-status" },
    type: { type: "token", columns: ["document_type"], system: DOCUMENT_TYPE },
  },
  prepare: issueLinks,
  toFhir: toFhirDocumentReference,
};
