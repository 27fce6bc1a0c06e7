import { createHmac, randomBytes, randomInt } from "node:crypto";
import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { guessAttempt, ipKey } from "../auth/rate-limit";
import { sha256Hex } from "../auth/tokens";
import { recordRead } from "../audit/record";
import { deriveKey } from "../config";
import { withUser, type RequestContext } from "../db/with-user";
import { AppError, NotFoundError, ValidationError } from "../errors";
import { mailConfig } from "../mail/mail-config";
import type { CreatedShare, SharedRecord, ShareSummary, TCreateShareRequest, TOpenShareRequest, TSharePart } from "./sharing.types";

/**
 * Patient-controlled sharing links (docs/sharing.md). The token (32 random bytes) travels
 * in the link's fragment and the 6-digit code separately; the database keeps the token's
 * SHA-256 and the code's HMAC (key derived from the root secret, bound to the token hash),
 * and opens a share only through app.open_share, which returns only the chosen parts.
 */
let codeKey: Buffer | undefined;
export function shareCodeHash(tokenHash: string, code: string): string {
  return createHmac("sha256", (codeKey ??= deriveKey("share-code"))).update(`${tokenHash}:${code}`).digest("hex");
}

export function shareLink(token: string, publicUrl = mailConfig().publicUrl): string {
  return `${publicUrl}/share#${token}`;
}

/** Wrong codes before a share locks for good (the patient makes a new one). */
export const SHARE_MAX_ATTEMPTS = 5;

/** The patient's own record (a portal account has one); 403 for anyone else. */
async function ownPatientId(session: Session, tx: Parameters<Parameters<typeof withUser>[1]>[0]): Promise<string> {
  const row = await tx.selectFrom("patients").select("id").where("user_id", "=", session.userId).executeTakeFirst();
  if (!row) throw new AppError(403, "forbidden", "Only a patient can share their own record.");
  return row.id;
}

/** POST /api/v1/me/shares: creates a share of the caller's own record. The link and code are shown once. */
export async function createShare(session: Session, input: TCreateShareRequest, context: RequestContext): Promise<CreatedShare> {
  if (session.role !== "patient") throw new AppError(403, "forbidden", "Only a patient can share their own record.");
  const token = randomBytes(32).toString("base64url");
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const tokenHash = sha256Hex(token);
  return withUser(session, async (tx) => {
    const patientId = await ownPatientId(session, tx);
    const row = await tx
      .insertInto("patient_shares")
      .values({
        patient_id: patientId,
        created_by: session.userId,
        recipient_label: input.recipient_label,
        parts: sql<TSharePart[]>`${input.parts}::text[]` as unknown as TSharePart[],
        token_hash: tokenHash,
        code_hash: shareCodeHash(tokenHash, code),
        expires_at: sql<Date>`now() + make_interval(days => ${input.expires_in_days})` as unknown as Date,
      })
      .returning(["id", "recipient_label", "parts", "expires_at"])
      .executeTakeFirstOrThrow();
    return { id: row.id, url: shareLink(token), code, recipient_label: row.recipient_label, parts: row.parts, expires_at: row.expires_at };
  }, context);
}

/** GET /api/v1/me/shares: the caller's shares with their views (from the audit trail). */
export async function listShares(session: Session, context: RequestContext): Promise<ShareSummary[]> {
  if (session.role !== "patient") return [];
  return withUser(session, async (tx) => {
    const { rows } = await sql<Omit<ShareSummary, "views"> & { patient_id: string }>`
      select s.id, s.patient_id, s.recipient_label, s.parts, s.created_at, s.expires_at, s.revoked_at, s.locked_at,
             s.failed_attempts, s.view_count, s.last_viewed_at,
             case when s.revoked_at is not null then 'revoked' when s.locked_at is not null then 'locked'
                  when s.expires_at <= now() then 'expired' else 'active' end as state
        from public.patient_shares s
       order by s.created_at desc
       limit 100`.execute(tx);
    if (rows.length === 0) return [];
    const views = await sql<{ record_id: string; occurred_at: Date }>`
      select a.record_id, a.occurred_at from public.audit_log a
       where a.patient_id = any (${[...new Set(rows.map((r) => r.patient_id))]}::uuid[])
         and a.table_name = 'patient_shares' and a.action = 'read' and a.actor_role = 'share_link'
         and a.record_id = any (${rows.map((r) => r.id)}::text[])
       order by a.occurred_at desc
       limit 500`.execute(tx);
    await recordRead(tx, { kind: "access_log", patientIds: [...new Set(rows.map((r) => r.patient_id))], recordIds: rows.map((r) => r.id), details: { view: "shares" } });
    return rows.map(({ patient_id: _p, ...r }) => ({
      ...r,
      views: views.rows.filter((v) => v.record_id === r.id).slice(0, 20).map((v) => ({ at: v.occurred_at })),
    }));
  }, context);
}

/** DELETE /api/v1/me/shares/{id}: revokes at once (the next open is refused). 404 if not the caller's or already revoked. */
export async function revokeShare(session: Session, id: string, context: RequestContext): Promise<void> {
  const n = await withUser(session, async (tx) =>
    Number((await tx.updateTable("patient_shares").set({ revoked_at: sql<Date>`now()` as unknown as Date }).where("id", "=", id).executeTakeFirst()).numUpdatedRows),
  context);
  if (n === 0) throw new NotFoundError("share");
}

/**
 * POST /api/v1/shares/open: the recipient's view. No account: runs as anon, through
 * app.open_share only. Wrong codes are throttled per address (429) and counted on the share
 * (the fifth locks it: 423). An unknown, expired or revoked link is one 404.
 */
export async function openShare(input: TOpenShareRequest, context: RequestContext): Promise<SharedRecord> {
  const attempt = await guessAttempt("share_code_ip", ipKey(context), context);
  const tokenHash = sha256Hex(input.token);
  const result = await withUser(null, async (tx) =>
    (await sql<{ r: { status: string; attempts_left?: number } & Partial<SharedRecord> }>`
      select app.open_share(${tokenHash}, ${shareCodeHash(tokenHash, input.code)}, ${SHARE_MAX_ATTEMPTS}) as r`.execute(tx)).rows[0].r,
  context);
  switch (result.status) {
    case "ok": {
      await attempt.forgive();
      const { status: _s, ...record } = result;
      return record as SharedRecord;
    }
    case "wrong_code":
      throw new ValidationError(
        `The code is not right. ${result.attempts_left} more wrong ${result.attempts_left === 1 ? "try locks" : "tries lock"} this link.`,
        { code: "The code is not right." },
        "wrong_code",
      );
    case "locked":
      await attempt.forgive(); // the share is locked for good: no need to count this address too
      throw new AppError(423, "share_locked", "This link is locked after too many wrong codes. Ask the patient for a new one.");
    default:
      // unknown (counted: nobody guesses a 256-bit token, but nobody gets to try either), expired or revoked
      throw new NotFoundError("shared record");
  }
}
