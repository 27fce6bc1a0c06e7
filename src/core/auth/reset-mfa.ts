import { asService, withUser, type RequestContext } from "../db/with-user";
import { ConflictError, NotFoundError } from "../errors";
import { auditAccountEventTx } from "./audit-events";
import { notifyAccountOwner } from "../mail/notify-account-owner";
import { requireAdmin } from "./require";
import type { TResetMfaRequest } from "./reset-mfa.types";
import type { Session } from "./session-types";
import { revokeAllSessions } from "./revoke-all-sessions";

/**
 * An admin removes another account's TOTP factor and recovery codes (the phone is lost and
 * the codes with it), and signs that account out everywhere. The user signs in with the
 * password alone and enrols again; where the clinic requires MFA for providers, they must
 * before doing anything else. The admin's own factor needs another admin: an admin who
 * could strip their own MFA with an MFA session would not need to hold the second factor.
 */
export async function resetUserMfa(
  session: Session,
  userId: string,
  input: TResetMfaRequest,
  context: RequestContext = {},
): Promise<{ id: string; mfa_enabled: false; revoked_sessions: number }> {
  requireAdmin(session);
  if (userId === session.userId) {
    throw new ConflictError("Another administrator must reset your own two-step verification.", "cannot_reset_own_mfa");
  }
  // the admin must see the account under RLS (app_admin policies) before anything changes
  const visible = await withUser(session, (tx) => tx.selectFrom("auth.users").select("id").where("id", "=", userId).executeTakeFirst(), context);
  if (!visible) throw new NotFoundError("user");
  return asService("admin MFA reset: remove the factor and recovery codes, revoke sessions, audit", async (tx) => {
    const removed = await tx.deleteFrom("auth.mfa_factors").where("user_id", "=", userId).returning("user_id").executeTakeFirst();
    if (!removed) throw new ConflictError("This account has no two-step verification to reset.", "mfa_not_enrolled");
    await tx.deleteFrom("auth.recovery_codes").where("user_id", "=", userId).execute();
    const revoked = await revokeAllSessions(tx, userId, "mfa_reset");
    await auditAccountEventTx(
      tx,
      { action: "auth.mfa_reset", actorId: session.userId, actorRole: session.role, targetUserId: userId, details: { sessions_revoked: revoked, reason: input.reason } },
      context,
    );
    await notifyAccountOwner(tx, userId, "mfa_reset");
    return { id: userId, mfa_enabled: false as const, revoked_sessions: revoked };
  }, context);
}
