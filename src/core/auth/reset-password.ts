import { sql } from "kysely";
import { asService, type RequestContext } from "../db/with-user";
import { BadRequestError } from "../errors";
import { enqueueMail } from "../mail/enqueue-mail";
import { auditAccountEventTx } from "./audit-events";
import { hashPassword } from "./passwords";
import { assertAcceptablePassword } from "./password-policy";
import { guessAttempt, ipKey, throttleKey } from "./rate-limit";
import { revokeAllSessions } from "./revoke-all-sessions";
import { sha256Hex } from "./tokens";
import type { TResetPasswordRequest } from "./request-password-reset.types";

/** Unknown, used, expired and altered tokens all get this one answer. */
export const INVALID_RESET_TOKEN = () =>
  new BadRequestError(
    "This password reset link is no longer valid: it was already used, has expired (links work for 30 minutes), or is incomplete. Ask for a new link from the sign-in page.",
    "invalid_reset_token",
  );

/**
 * Sets a new password with a mailed reset token: the token works once, within 30
 * minutes; the password follows the sign-up rules; every session of the account is
 * revoked and every other reset link of the account stops working, in one transaction
 * with the audit event and a "password changed" notice to the account's address.
 * Wrong tokens are throttled per IP and per token hash (wrong answers only).
 */
export async function resetPassword(input: TResetPasswordRequest, context: RequestContext = {}): Promise<{ revoked_sessions: number }> {
  const tokenHash = sha256Hex(input.token);
  const byIp = await guessAttempt("password_reset_ip", ipKey(context), context);
  const byToken = await guessAttempt("password_reset_token", throttleKey(`reset:${tokenHash}`), context);
  const found = await asService("password recovery: check a reset link (no identity yet)", (tx) =>
    sql<{ user_id: string; email: string }>`
      select t.user_id, u.email from auth.password_reset_tokens t join auth.users u on u.id = t.user_id
       where t.token_hash = ${tokenHash} and t.used_at is null and t.expires_at > now() and u.is_active`
      .execute(tx)
      .then((r) => r.rows[0]),
  context);
  if (!found) throw INVALID_RESET_TOKEN();
  await byIp.forgive();
  await byToken.forgive();
  assertAcceptablePassword(input.password, found.email);
  const hash = await hashPassword(input.password);
  return asService("password recovery: set the new password, revoke sessions", async (tx) => {
    // the token is spent here, atomically: of two racing resets, one wins
    const spent = await sql<{ user_id: string }>`
      update auth.password_reset_tokens t set used_at = now()
        from auth.users u
       where t.token_hash = ${tokenHash} and t.used_at is null and t.expires_at > now() and u.id = t.user_id and u.is_active
      returning t.user_id`.execute(tx);
    const userId = spent.rows[0]?.user_id;
    if (!userId) throw INVALID_RESET_TOKEN();
    await sql`update auth.password_reset_tokens set used_at = now() where user_id = ${userId} and used_at is null`.execute(tx);
    await tx.updateTable("auth.users").set({ password_hash: hash }).where("id", "=", userId).execute();
    const revoked = await revokeAllSessions(tx, userId, "password_reset");
    await auditAccountEventTx(tx, { action: "auth.password_reset", actorId: userId, details: { revoked_sessions: revoked } }, context);
    await enqueueMail(tx, { kind: "password_changed", to: found.email, params: {} });
    return { revoked_sessions: revoked };
  }, context);
}
