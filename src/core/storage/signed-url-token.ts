import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { deriveKey } from "../config";
import type { Session } from "../auth/session-types";
import { SignedUrlExpiredError, SignedUrlInvalidError } from "./errors";

/**
 * A download capability: which document and object, for whom (user, role, session), until
 * when. Sealed with AES-256-GCM under a key derived from CAREBASE_SECRET, so the token is
 * opaque (it shows no document id, object key, user or session to whoever sees the URL) and
 * any change to it fails authentication. The token only lets its holder *ask*: the
 * download still runs as the bound user under RLS, so a revoked care-team membership, a
 * deleted document or a signed-out session ends it.
 *
 *   token = "v2." base64url(iv[12] ‖ AES-256-GCM(JSON [document_id, object_key, user_id, role, session_id, aal, exp, nonce]) ‖ tag[16])
 *
 * The version prefix is also the GCM associated data. Version 1 (readable JSON with an
 * HMAC) is no longer accepted: links issued before the upgrade ask the user for a new one.
 */
export interface DownloadGrant {
  documentId: string;
  objectKey: string;
  session: Session;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** Identifies this link in the audit trail. */
  nonce: string;
}

const PREFIX = "v2.";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD = Buffer.from(`carebase-signed-url.${PREFIX}`);
let key: Buffer | undefined;
const sealingKey = () => (key ??= deriveKey("signed-url-sealing"));

export function signDownloadGrant(grant: Omit<DownloadGrant, "nonce">): { token: string; nonce: string } {
  const nonce = randomBytes(9).toString("base64url");
  const s = grant.session;
  const plaintext = Buffer.from(JSON.stringify([grant.documentId, grant.objectKey, s.userId, s.role, s.sessionId, s.aal, grant.expiresAt, nonce]));
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD);
  const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { token: `${PREFIX}${sealed.toString("base64url")}`, nonce };
}

/** The plaintext, or undefined when the token is not one we sealed (altered, truncated, another key). */
function unseal(token: string): Buffer | undefined {
  const m = /^v2\.([A-Za-z0-9_-]{40,2048})$/.exec(token);
  if (!m) return undefined;
  const sealed = Buffer.from(m[1], "base64url");
  // one spelling per token: a different string that decodes to the same bytes is not ours
  if (sealed.length <= IV_BYTES + TAG_BYTES || sealed.toString("base64url") !== m[1]) return undefined;
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(), sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(AAD);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Authenticates first, then checks the shape, then the expiry. */
export function verifyDownloadToken(token: string, now = Date.now()): DownloadGrant {
  const plaintext = unseal(token);
  if (!plaintext) throw new SignedUrlInvalidError();
  let parts: unknown;
  try {
    parts = JSON.parse(plaintext.toString("utf8"));
  } catch {
    throw new SignedUrlInvalidError();
  }
  if (!Array.isArray(parts) || parts.length !== 8) throw new SignedUrlInvalidError();
  const [documentId, objectKey, userId, role, sessionId, aal, expiresAt, nonce] = parts as unknown[];
  if (
    typeof documentId !== "string" || !UUID.test(documentId) ||
    typeof objectKey !== "string" ||
    typeof userId !== "string" || !UUID.test(userId) ||
    (role !== "patient" && role !== "provider" && role !== "admin") ||
    typeof sessionId !== "string" || !UUID.test(sessionId) ||
    (aal !== "aal1" && aal !== "aal2") ||
    typeof expiresAt !== "number" || !Number.isInteger(expiresAt) ||
    typeof nonce !== "string"
  ) {
    throw new SignedUrlInvalidError();
  }
  if (expiresAt * 1000 <= now) throw new SignedUrlExpiredError();
  return { documentId, objectKey, session: { userId, role, sessionId, aal }, expiresAt, nonce };
}
