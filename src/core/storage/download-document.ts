import { sql } from "kysely";
import { recordRead } from "../audit/record";
import { asService, withUser, type RequestContext } from "../db/with-user";
import { AppError, NotFoundError } from "../errors";
import { log } from "../log";
import { findReadableDocument } from "./document-view";
import { objectStore } from "./index";
import type { ObjectStore } from "./object-store";
import { attachmentDisposition } from "./file-name";
import { DocumentUnreadableError } from "./errors";
import { verifyDownloadToken } from "./signed-url-token";

export interface DocumentDownload {
  contentType: string;
  size: number;
  /** The value for Content-Disposition (attachment, sanitised name). */
  disposition: string;
  /** Verified plaintext; errors (never yields unverified bytes) if the rest fails its check. */
  body: AsyncIterable<Buffer>;
}

class SignedUrlRevokedError extends AppError {
  constructor() {
    super(403, "signed_url_revoked", "This download link is no longer valid. Sign in and ask for a new one.");
  }
}

/**
 * Serves a signed URL. The signature and expiry are checked first; then the session the
 * link was issued to must still be live, and the download runs as that user under RLS —
 * so a revoked care-team membership, a deleted document or a signed-out session beats an
 * unexpired link. Every download is audited ('document_download') before a byte leaves.
 */
export async function downloadDocument(token: string, context: RequestContext, store: ObjectStore = objectStore()): Promise<DocumentDownload> {
  const grant = verifyDownloadToken(token);
  const live = await asService("signed-url download: is the session the link was issued to still live?", async (tx) => {
    const { rows } = await sql<{ ok: number }>`
      select 1 as ok from auth.sessions s join auth.users u on u.id = s.user_id
       where s.id = ${grant.session.sessionId} and s.user_id = ${grant.session.userId}
         and s.revoked_at is null and s.expires_at > now() and u.is_active and u.role = ${grant.session.role}`.execute(tx);
    return rows.length > 0;
  }, context);
  if (!live) throw new SignedUrlRevokedError();

  const doc = await withUser(grant.session, async (tx) => {
    const row = await findReadableDocument(tx, grant.documentId);
    if (row.object_key !== grant.objectKey) throw new NotFoundError("document");
    await recordRead(tx, { kind: "document_download", patientIds: [row.patient_id], recordIds: [row.id], details: { link: grant.nonce } });
    return row;
  }, context);

  // Read up to the first verified bytes before answering, so a missing or tampered object
  // is an error status, not a 200 with a broken body.
  let iterator: AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    const stream = await store.get(doc.object_key);
    iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    first = await iterator.next();
  } catch (e) {
    log.error({ documentId: doc.id, requestId: context.requestId, err: (e as Error).name }, "stored document unreadable");
    throw new DocumentUnreadableError();
  }
  async function* body(): AsyncGenerator<Buffer> {
    try {
      if (!first.done) yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } catch (e) {
      log.error({ documentId: doc.id, requestId: context.requestId, err: (e as Error).name }, "stored document failed mid-stream");
      throw e;
    } finally {
      await iterator.return?.();
    }
  }
  return {
    contentType: doc.content_type,
    size: Number(doc.size_bytes),
    disposition: attachmentDisposition(doc.original_name ?? "document"),
    body: body(),
  };
}
