import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { ValidationError } from "../errors";
import { loadStorageConfig, type StorageConfig } from "./config";
import { findReadableDocument } from "./document-view";
import type { TIssueSignedUrlRequest } from "./issue-signed-url.types";
import { signDownloadGrant } from "./signed-url-token";

/** Where download links point; the token is a path segment the request logger redacts. */
export const DOWNLOAD_PATH = "/api/v1/files/";

export interface SignedUrl {
  url: string;
  expires_at: string;
}

/**
 * Issues a download link, only after the caller reads the document (and its object) under
 * RLS. The link is bound to the document, its object, the caller and their session, and
 * an expiry (default 1 hour, at most SIGNED_URL_MAX_SECONDS). Audited as 'signed_url'.
 */
export async function issueSignedUrl(
  session: Session,
  documentId: string,
  input: TIssueSignedUrlRequest,
  origin: string,
  context: RequestContext,
  config: StorageConfig = loadStorageConfig(),
): Promise<SignedUrl> {
  const seconds = input.expires_in ?? config.signedUrlDefaultSeconds;
  if (seconds > config.signedUrlMaxSeconds) {
    throw new ValidationError(`expires_in may be at most ${config.signedUrlMaxSeconds} seconds.`, {
      expires_in: `At most ${config.signedUrlMaxSeconds}.`,
    });
  }
  return withUser(session, async (tx) => {
    const doc = await findReadableDocument(tx, documentId);
    const expiresAt = Math.floor(Date.now() / 1000) + seconds;
    const { token, nonce } = signDownloadGrant({ documentId: doc.id, objectKey: doc.object_key, session, expiresAt });
    const expires_at = new Date(expiresAt * 1000).toISOString();
    await recordRead(tx, { kind: "signed_url", patientIds: [doc.patient_id], recordIds: [doc.id], details: { link: nonce, expires_at } });
    return { url: new URL(`${DOWNLOAD_PATH}${token}`, origin).toString(), expires_at };
  }, context);
}
