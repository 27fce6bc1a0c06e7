import { asService, withUser, type RequestContext } from "../db/with-user";
import { ConflictError, NotFoundError } from "../errors";
import { auditAccountEventTx } from "./audit-events";
import { requireAdmin } from "./require";
import type { Session } from "./session-types";
import { revokeAllSessions } from "./revoke-all-sessions";

export { ZDeactivateUserRequest, type TDeactivateUserRequest } from "./deactivate-user.types";

/**
 * Deactivates (or reactivates) an account. A deactivated account's sessions die at once:
 * they are revoked, and every access check also requires an active account.
 */
export async function setUserActive(
  session: Session,
  userId: string,
  active: boolean,
  context: RequestContext = {},
  reason?: string,
): Promise<{ id: string; is_active: boolean }> {
  requireAdmin(session);
  if (userId === session.userId && !active) throw new ConflictError("You cannot deactivate your own account.", "cannot_deactivate_self");
  const updated = await withUser(session, (tx) =>
    tx.updateTable("auth.users").set({ is_active: active }).where("id", "=", userId).returning("id").executeTakeFirst(),
  context);
  if (!updated) throw new NotFoundError("user");
  await asService("deactivation: revoke sessions and audit", async (tx) => {
    const revoked = active ? 0 : await revokeAllSessions(tx, userId, "deactivated");
    await auditAccountEventTx(
      tx,
      { action: active ? "auth.user_reactivated" : "auth.user_deactivated", actorId: session.userId, actorRole: session.role, targetUserId: userId, details: { revoked_sessions: revoked, ...(reason ? { reason } : {}) } },
      context,
    );
  }, context);
  return { id: userId, is_active: active };
}
