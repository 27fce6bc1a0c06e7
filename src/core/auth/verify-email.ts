import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { asService, type RequestContext, type Tx } from "../db/with-user";
import { enqueueMail } from "../mail/enqueue-mail";
import { auditAccountEventTx } from "./audit-events";
import { INVALID_EMAIL_LINK, VERIFY_EMAIL_HOURS, type TConfirmEmailRequest } from "./email-links.types";
import { guessAttempt, ipKey, throttleKey } from "./rate-limit";
import { sha256Hex } from "./tokens";

/**
 * Mails a link that confirms the account's address (a self sign-up), in the caller's service
 * transaction: the link exists exactly when the account does. Only the token's SHA-256 is
 * stored; the token itself is only in the mail, in the link's fragment.
 */
export async function issueEmailVerification(tx: Tx, userId: string, email: string): Promise<void> {
  const token = randomBytes(32).toString("base64url");
  await sql`insert into auth.email_link_tokens (token_hash, user_id, purpose, expires_at)
            values (${sha256Hex(token)}, ${userId}, 'verify_email', now() + make_interval(hours => ${VERIFY_EMAIL_HOURS}))`.execute(tx);
  await enqueueMail(tx, { kind: "verify_email", to: email, params: { token } });
}

/**
 * Confirms an address with a mailed link: the link works once, within 48 hours, for an
 * active account. Admins see whether a provider confirmed their address before verifying
 * them; it does not block sign-in. Wrong links are throttled per IP and per token hash.
 */
export async function confirmEmail(input: TConfirmEmailRequest, context: RequestContext = {}): Promise<{ email_confirmed: true }> {
  const tokenHash = sha256Hex(input.token);
  const byIp = await guessAttempt("email_link_ip", ipKey(context), context);
  const byToken = await guessAttempt("email_link_token", throttleKey(`email-link:${tokenHash}`), context);
  const userId = await asService("email verification: spend the link, confirm the address (no identity yet)", async (tx) => {
    // spent atomically: of two racing confirmations, one wins
    const spent = await sql<{ user_id: string }>`
      update auth.email_link_tokens t set used_at = now()
        from auth.users u
       where t.token_hash = ${tokenHash} and t.purpose = 'verify_email' and t.used_at is null and t.expires_at > now()
         and u.id = t.user_id and u.is_active
      returning t.user_id`.execute(tx);
    const id = spent.rows[0]?.user_id;
    if (!id) return null;
    await sql`update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()) where id = ${id}`.execute(tx);
    await auditAccountEventTx(tx, { action: "auth.email_confirmed", actorId: id }, context);
    return id;
  }, context);
  if (!userId) throw INVALID_EMAIL_LINK("verification");
  await byIp.forgive();
  await byToken.forgive();
  return { email_confirmed: true };
}
