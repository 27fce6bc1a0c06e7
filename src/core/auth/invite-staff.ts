import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { asService, withUser, type RequestContext, type Tx } from "../db/with-user";
import { ConflictError, NotFoundError } from "../errors";
import { prepareMail } from "../mail/enqueue-mail";
import { auditAccountEventTx } from "./audit-events";
import { INVALID_EMAIL_LINK, STAFF_INVITE_HOURS, type TAcceptStaffInviteRequest } from "./email-links.types";
import { hashPassword } from "./passwords";
import { assertAcceptablePassword } from "./password-policy";
import { guessAttempt, ipKey, throttleKey } from "./rate-limit";
import { requireAdmin } from "./require";
import type { Session } from "./session-types";
import { sha256Hex } from "./tokens";

/**
 * Mails a staff invitation for an invited account (auth.users.invited_at set), inside the
 * admin's own transaction (withUser, aal2): app.issue_staff_invite (0630) checks the caller
 * is an admin, ends the account's earlier invitation links, stores the new link's hash and
 * writes the mail to the account's own address. Returns when the link expires, or null when
 * the account is not (or no longer) waiting for an invitation.
 */
export async function issueStaffInvite(tx: Tx, userId: string): Promise<string | null> {
  const token = randomBytes(32).toString("base64url");
  const m = prepareMail({ kind: "staff_invite", to: "", params: { token } });
  const { rows } = await sql<{ expires_at: Date | string | null }>`
    select app.issue_staff_invite(${userId}::uuid, ${sha256Hex(token)}, ${STAFF_INVITE_HOURS}, ${m.subject}, ${m.bodySealed}, ${m.status}) as expires_at`.execute(tx);
  const at = rows[0]?.expires_at;
  return at ? new Date(at).toISOString() : null;
}

/** An admin sends an invited account a new invitation; the previous link stops working. */
export async function resendStaffInvite(session: Session, userId: string, context: RequestContext = {}): Promise<{ id: string; invite_expires_at: string }> {
  requireAdmin(session);
  return withUser(session, async (tx) => {
    const user = await tx.selectFrom("auth.users").select(["id", "invited_at", "is_active"]).where("id", "=", userId).executeTakeFirst();
    if (!user) throw new NotFoundError("user");
    if (!user.invited_at || !user.is_active) {
      throw new ConflictError("This account is not waiting for an invitation: its owner has already chosen a password, or it is deactivated.", "not_invited");
    }
    const expires = await issueStaffInvite(tx, userId);
    if (!expires) throw new ConflictError("This account is not waiting for an invitation.", "not_invited");
    await auditAccountEventTx(tx, { action: "auth.staff_invite_sent", actorId: session.userId, actorRole: session.role, targetUserId: userId, details: { resent: true } }, context);
    return { id: userId, invite_expires_at: expires };
  }, context);
}

/**
 * The invitee chooses a password with the mailed link: the link works once, within 72
 * hours, for an active account still waiting for it; the password follows the sign-up
 * rules. The account's address counts as confirmed (the link reached it). Wrong links are
 * throttled per IP and per token hash; every one gets the same answer.
 */
export async function acceptStaffInvite(input: TAcceptStaffInviteRequest, context: RequestContext = {}): Promise<{ email: string }> {
  const tokenHash = sha256Hex(input.token);
  const byIp = await guessAttempt("email_link_ip", ipKey(context), context);
  const byToken = await guessAttempt("email_link_token", throttleKey(`email-link:${tokenHash}`), context);
  const found = await asService("staff invitation: check the link (no identity yet)", (tx) =>
    sql<{ email: string }>`
      select u.email from auth.email_link_tokens t join auth.users u on u.id = t.user_id
       where t.token_hash = ${tokenHash} and t.purpose = 'staff_invite' and t.used_at is null and t.expires_at > now()
         and u.is_active and u.invited_at is not null`
      .execute(tx)
      .then((r) => r.rows[0]),
  context);
  if (!found) throw INVALID_EMAIL_LINK("invitation");
  await byIp.forgive();
  await byToken.forgive();
  assertAcceptablePassword(input.password, found.email);
  const hash = await hashPassword(input.password);
  return asService("staff invitation: set the first password", async (tx) => {
    // spent atomically: of two racing acceptances, one wins
    const spent = await sql<{ user_id: string }>`
      update auth.email_link_tokens t set used_at = now()
        from auth.users u
       where t.token_hash = ${tokenHash} and t.purpose = 'staff_invite' and t.used_at is null and t.expires_at > now()
         and u.id = t.user_id and u.is_active and u.invited_at is not null
      returning t.user_id`.execute(tx);
    const userId = spent.rows[0]?.user_id;
    if (!userId) throw INVALID_EMAIL_LINK("invitation");
    await sql`update auth.users set password_hash = ${hash}, invited_at = null, email_confirmed_at = coalesce(email_confirmed_at, now())
               where id = ${userId}`.execute(tx);
    await auditAccountEventTx(tx, { action: "auth.staff_invite_accepted", actorId: userId }, context);
    return { email: found.email };
  }, context);
}
