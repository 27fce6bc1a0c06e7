import { createHash, randomBytes } from "node:crypto";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { deriveKey } from "../config";
import { env } from "../config/env";
import type { Session } from "./session-types";
import { UnauthorizedError } from "../errors";

const ISSUER = "carebase";
const AUDIENCE = "carebase";

/** Access tokens live at most 15 minutes (ACCESS_TOKEN_TTL seconds, capped at 900). */
export function accessTokenTtlSeconds(): number {
  return env().ACCESS_TOKEN_TTL;
}

let key: Uint8Array | undefined;
const signingKey = () => (key ??= new Uint8Array(deriveKey("access-token")));
// Imported once: jose imports a raw key again at every verification, ~2 % of a chart read's
// CPU through the HTTP API (bench/http.ts profile).
let verifyKey: Promise<CryptoKey> | undefined;
const verificationKey = () =>
  (verifyKey ??= crypto.subtle.importKey("raw", signingKey() as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]));

export async function signAccessToken(session: Session, ttlSeconds = accessTokenTtlSeconds()): Promise<string> {
  const claims: Record<string, unknown> = { role: session.role, session_id: session.sessionId, aal: session.aal };
  if (session.mfaPending) claims.mfa_pending = true;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(session.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(signingKey());
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Tokens already verified on this instance, with their expiry (seconds): a client sends
 * the same token for up to 15 minutes, and verifying it again (jose over WebCrypto) was
 * ~7 % of an audited chart read's CPU in the server (bench:http profile). Only what a
 * successful verification returned is kept; expiry is checked on every hit, as jose checks
 * it. Revocation never depended on this: the session row is checked on every request.
 */
const VERIFIED_MAX = 10_000;
const verified = new Map<string, { session: Session; exp: number }>();

/** Verifies signature (HS256 only: no "none", no key confusion), issuer, audience and expiry. */
export async function verifyAccessToken(token: string): Promise<Session> {
  const hit = verified.get(token);
  if (hit !== undefined) {
    if (Math.floor(Date.now() / 1000) < hit.exp) return { ...hit.session };
    verified.delete(token);
    throw new UnauthorizedError("The access token has expired.", "token_expired");
  }
  try {
    const { payload } = await jwtVerify(token, await verificationKey(), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ["sub", "exp", "iat"],
    });
    const { sub, role, session_id, aal, mfa_pending } = payload as Record<string, unknown>;
    if (
      typeof sub !== "string" || !UUID.test(sub) ||
      (role !== "patient" && role !== "provider" && role !== "admin") ||
      typeof session_id !== "string" || !UUID.test(session_id) ||
      (aal !== "aal1" && aal !== "aal2")
    ) {
      throw new UnauthorizedError("The access token is invalid.", "invalid_token");
    }
    const session: Session = mfa_pending === true ? { userId: sub, role, sessionId: session_id, aal, mfaPending: true } : { userId: sub, role, sessionId: session_id, aal };
    if (verified.size >= VERIFIED_MAX) verified.clear();
    verified.set(token, { session, exp: payload.exp as number });
    return { ...session };
  } catch (e) {
    if (e instanceof UnauthorizedError) throw e;
    if (e instanceof joseErrors.JWTExpired) throw new UnauthorizedError("The access token has expired.", "token_expired");
    throw new UnauthorizedError("The access token is invalid.", "invalid_token");
  }
}

/** Opaque secrets (refresh tokens, invite codes, device tokens): random, stored only as SHA-256. */
export function newOpaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
