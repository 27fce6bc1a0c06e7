import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { asService, type RequestContext } from "../db/with-user";
import { enqueueMail, prepareMail } from "../mail/enqueue-mail";
import { auditAccountEventTx } from "./audit-events";
import { hit, ipKey, throttleKey } from "./rate-limit";
import { sha256Hex } from "./tokens";
import { RESET_TOKEN_MINUTES, type TForgotPasswordRequest } from "./request-password-reset.types";

/**
 * "Forgot password": mails a single-use reset link (30 minutes) when the email belongs to
 * an active account, and does nothing visible otherwise.
 *
 * Be careful here: this endpoint is open to anyone and must not tell whether an email has
 * an account. The caller answers 202 with the same body either way; both paths are
 * throttled alike (per IP and per email, known or not), generate a token and render and
 * seal the mail; only the known path stores them (in one transaction with the audit event).
 * Only the token's SHA-256 is stored; the token itself exists only in the mail.
 */
export async function requestPasswordReset(input: TForgotPasswordRequest, context: RequestContext = {}): Promise<void> {
  await hit("password_forgot_ip", ipKey(context), context);
  await hit("password_forgot_account", throttleKey(`forgot:${input.email}`), context);
  const token = randomBytes(32).toString("base64url");
  await asService("password recovery: issue a reset link (no identity yet)", async (tx) => {
    const user = await tx
      .selectFrom("auth.users")
      .select(["id", "email", "is_active"])
      .where("email", "=", input.email)
      .executeTakeFirst();
    if (!user?.is_active) {
      // the same rendering and sealing as the known path, stored nowhere
      sha256Hex(token);
      prepareMail({ kind: "password_reset", to: input.email, params: { token } });
      return;
    }
    await sql`insert into auth.password_reset_tokens (token_hash, user_id, expires_at)
              values (${sha256Hex(token)}, ${user.id}, now() + make_interval(mins => ${RESET_TOKEN_MINUTES}))`.execute(tx);
    await enqueueMail(tx, { kind: "password_reset", to: user.email, params: { token } });
    await auditAccountEventTx(tx, { action: "auth.password_reset_requested", actorId: null, targetUserId: user.id }, context);
  }, context);
}
