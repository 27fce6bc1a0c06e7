import { createCipheriv, createDecipheriv, randomBytes, randomInt } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import { sql } from "kysely";
import { deriveKey } from "../config";
import { asService, type RequestContext, type Tx } from "../db/with-user";
import { BadRequestError, ConflictError, UnauthorizedError } from "../errors";
import type { Session } from "./session-types";
import { revokeAllSessions } from "./revoke-all-sessions";
import { revokeSession } from "./revoke-session";
import { startSession } from "./start-session";
import { type TokenPair } from "./issue-tokens";
import { accountKey, guessAttempt } from "./rate-limit";
import { sha256Hex } from "./tokens";
import { auditAccountEventTx } from "./audit-events";
import { notifyAccountOwner } from "../mail/notify-account-owner";

/** RFC 6238 as every authenticator app expects it: SHA-1, 6 digits, 30 s. */
const PERIOD = 30;
const ISSUER = "Carebase";
const RECOVERY_CODES = 10;

// ------------------------------------------------------------------ secret at rest (AES-256-GCM)

let key: Buffer | undefined;
const totpKey = () => (key ??= deriveKey("totp"));

export function encryptSecret(base32: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", totpKey(), iv);
  const ct = Buffer.concat([cipher.update(base32, "utf8"), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url")}`;
}

export function decryptSecret(stored: string): string {
  const [version, body] = stored.split(".");
  if (version !== "v1" || !body) throw new Error("Unknown TOTP secret format.");
  const raw = Buffer.from(body, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", totpKey(), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

function totpFor(base32: string, label = "account"): TOTP {
  return new TOTP({ issuer: ISSUER, label, algorithm: "SHA1", digits: 6, period: PERIOD, secret: Secret.fromBase32(base32) });
}

/** Recovery codes: 10 groups of readable base32 (no 0/O/1/I), e.g. "K7QX-M2PA-9RTW". */
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
function newRecoveryCode(): string {
  const chars = Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return `${chars.slice(0, 4).join("")}-${chars.slice(4, 8).join("")}-${chars.slice(8).join("")}`;
}
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

// ------------------------------------------------------------------ enrolment

export interface MfaEnrollment {
  secret: string;
  otpauth_url: string;
  qr_svg: string;
  recovery_codes: string[];
}

/** Starts (or restarts) enrolment: a fresh secret and recovery codes, shown once. MFA is off until verified. */
export async function enrollMfa(session: Session, context: RequestContext = {}): Promise<MfaEnrollment> {
  const secret = new Secret({ size: 20 }).base32;
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  const email = await asService("MFA enrolment (secrets are service-only)", async (tx) => {
    const user = await tx.selectFrom("auth.users").select("email").where("id", "=", session.userId).executeTakeFirstOrThrow();
    const existing = await tx.selectFrom("auth.mfa_factors").select("enabled_at").where("user_id", "=", session.userId).forUpdate().executeTakeFirst();
    if (existing?.enabled_at) throw new ConflictError("Two-factor authentication is already on for this account.", "mfa_already_enabled");
    await tx
      .insertInto("auth.mfa_factors")
      .values({ user_id: session.userId, secret_enc: encryptSecret(secret) })
      .onConflict((oc) => oc.column("user_id").doUpdateSet({ secret_enc: encryptSecret(secret), last_used_step: null, created_at: new Date() }))
      .execute();
    await tx.deleteFrom("auth.recovery_codes").where("user_id", "=", session.userId).execute();
    await tx
      .insertInto("auth.recovery_codes")
      .values(codes.map((c) => ({ user_id: session.userId, code_hash: sha256Hex(normaliseRecoveryCode(c)) })))
      .execute();
    await auditAccountEventTx(tx, { action: "auth.mfa_enrolled", actorId: session.userId, actorRole: session.role }, context);
    return user.email;
  }, context);
  const otpauthUrl = totpFor(secret, email).toString();
  const qrSvg = await QRCode.toString(otpauthUrl, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { secret, otpauth_url: otpauthUrl, qr_svg: qrSvg, recovery_codes: codes };
}

/**
 * Checks a TOTP code against the user's factor (enabled or, for enrolment, pending) and
 * spends its time step so the same code is never accepted twice.
 */
async function spendTotp(tx: Tx, userId: string, code: string, requireEnabled: boolean): Promise<boolean> {
  const factor = await tx
    .selectFrom("auth.mfa_factors")
    .select(["secret_enc", "enabled_at", "last_used_step"])
    .where("user_id", "=", userId)
    .forUpdate()
    .executeTakeFirst();
  if (!factor || (requireEnabled && !factor.enabled_at)) return false;
  if (!/^\d{6}$/.test(code)) return false;
  const now = Date.now();
  const delta = totpFor(decryptSecret(factor.secret_enc)).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return false;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  if (factor.last_used_step !== null && step <= Number(factor.last_used_step)) return false;
  await tx.updateTable("auth.mfa_factors").set({ last_used_step: step }).where("user_id", "=", userId).execute();
  return true;
}

/** Spends a recovery code; true if it was valid and unused. */
async function spendRecoveryCode(tx: Tx, userId: string, code: string): Promise<boolean> {
  const r = await tx
    .updateTable("auth.recovery_codes")
    .set({ used_at: new Date() })
    .where("user_id", "=", userId)
    .where("code_hash", "=", sha256Hex(normaliseRecoveryCode(code)))
    .where("used_at", "is", null)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export async function mfaEnabled(tx: Tx, userId: string): Promise<boolean> {
  const row = await tx.selectFrom("auth.mfa_factors").select("enabled_at").where("user_id", "=", userId).executeTakeFirst();
  return !!row?.enabled_at;
}

/** The second factor at sign-in: "ok", or "bad" (wrong/used code). */
export async function checkSecondFactor(
  tx: Tx,
  userId: string,
  given: { totp_code?: string; recovery_code?: string },
  context: RequestContext,
): Promise<"ok" | "bad"> {
  if (given.totp_code) return (await spendTotp(tx, userId, given.totp_code.trim(), true)) ? "ok" : "bad";
  if (given.recovery_code && (await spendRecoveryCode(tx, userId, given.recovery_code))) {
    await auditAccountEventTx(tx, { action: "auth.recovery_code_used", actorId: userId }, context);
    return "ok";
  }
  return "bad";
}

/**
 * Confirms enrolment with a first code: MFA is on, and this session is replaced by an
 * aal2 one (the old tokens die; the answer carries the new pair).
 */
export async function verifyMfaEnrollment(session: Session, code: string, context: RequestContext = {}): Promise<{ session: Session; tokens: TokenPair }> {
  // Counted before the code is checked: past 10 wrong answers in 15 min, 429.
  const attempt = await guessAttempt("secret_account", accountKey(session.userId), context);
  const out = await asService("MFA verification (secrets are service-only)", async (tx) => {
    const factor = await tx.selectFrom("auth.mfa_factors").select("enabled_at").where("user_id", "=", session.userId).executeTakeFirst();
    if (!factor) return "not_enrolled" as const;
    if (!(await spendTotp(tx, session.userId, code.trim(), false))) return "wrong_code" as const;
    if (!factor.enabled_at) {
      await tx.updateTable("auth.mfa_factors").set({ enabled_at: new Date() }).where("user_id", "=", session.userId).execute();
      // Whoever else holds a session of this account (a stolen password's session) is signed
      // out now; this one is replaced by the aal2 session below.
      const revoked = await revokeAllSessions(tx, session.userId, "mfa_enabled", session.sessionId);
      await auditAccountEventTx(tx, { action: "auth.mfa_enabled", actorId: session.userId, actorRole: session.role, details: { revoked_sessions: revoked } }, context);
      await notifyAccountOwner(tx, session.userId, "mfa_enabled");
    }
    return startSession(tx, { id: session.userId, role: session.role }, "aal2", context);
  }, context);
  if (out === "wrong_code") throw new UnauthorizedError("The code is not right. Check the time on your device and try the current code.", "invalid_mfa_code");
  await attempt.forgive();
  if (out === "not_enrolled") throw new BadRequestError("Start two-factor enrolment first.", "mfa_not_enrolled");
  await revokeSession(session.sessionId, "mfa_step_up", context);
  return out;
}

/** Whether the clinic requires MFA of providers (clinic_settings). */
export async function clinicRequiresProviderMfa(tx: Tx): Promise<boolean> {
  const { rows } = await sql<{ required: boolean }>`select require_mfa_for_providers as required from public.clinic_settings where id`.execute(tx);
  return rows[0]?.required ?? false;
}
