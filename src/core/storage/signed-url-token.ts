import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { deriveKey } from "../config";
import type { Session } from "../auth/session-types";
import { SignedUrlExpiredError, SignedUrlInvalidError } from "./errors";

/**
 * A download capability: which document and object, for whom (user, role, session), until
 * when. Signed with HMAC-SHA256 under a key derived from CAREBASE_SECRET. The token only
 * lets its holder *ask*: the download still runs as the bound user under RLS, so a
 * revoked care-team membership, a deleted document or a signed-out session ends it.
 *
 *   token = base64url(JSON [v, document_id, object_key, user_id, role, session_id, aal, exp, nonce]) "." base64url(hmac)
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

const VERSION = 1;
let key: Buffer | undefined;
const signingKey = () => (key ??= deriveKey("signed-url"));

function mac(payload: string): Buffer {
  return createHmac("sha256", signingKey()).update(`carebase-signed-url.${payload}`).digest();
}

export function signDownloadGrant(grant: Omit<DownloadGrant, "nonce">): { token: string; nonce: string } {
  const nonce = randomBytes(9).toString("base64url");
  const s = grant.session;
  const payload = Buffer.from(
    JSON.stringify([VERSION, grant.documentId, grant.objectKey, s.userId, s.role, s.sessionId, s.aal, grant.expiresAt, nonce]),
  ).toString("base64url");
  return { token: `${payload}.${mac(payload).toString("base64url")}`, nonce };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Verifies signature first, then shape, then expiry. */
export function verifyDownloadToken(token: string, now = Date.now()): DownloadGrant {
  const m = /^([A-Za-z0-9_-]{16,1024})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) throw new SignedUrlInvalidError();
  const expected = mac(m[1]);
  const given = Buffer.from(m[2], "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SignedUrlInvalidError();
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(m[1], "base64url").toString("utf8"));
  } catch {
    throw new SignedUrlInvalidError();
  }
  if (!Array.isArray(parts) || parts.length !== 9 || parts[0] !== VERSION) throw new SignedUrlInvalidError();
  const [, documentId, objectKey, userId, role, sessionId, aal, expiresAt, nonce] = parts as unknown[];
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
