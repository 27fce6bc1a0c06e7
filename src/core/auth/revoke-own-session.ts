import { asService, type RequestContext } from "../db/with-user";
import type { Session } from "./session-types";
import { auditAccountEventTx } from "./audit-events";
import { forgetSession } from "./session-cache";

/** Revokes one of the caller's own sessions; false when there is no such live session. */
export async function revokeOwnSession(session: Session, sessionId: string, context: RequestContext = {}): Promise<boolean> {
  const n = await asService("revoke one of the caller's own sessions", async (tx) => {
    const r = await tx
      .updateTable("auth.sessions")
      .set({ revoked_at: new Date(), revoke_reason: "signed_out" })
      .where("id", "=", sessionId)
      .where("user_id", "=", session.userId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (r.numUpdatedRows > 0n) {
      await auditAccountEventTx(tx, { action: "auth.session_revoked", actorId: session.userId, actorRole: session.role, details: { session_id: sessionId } }, context);
    }
    return Number(r.numUpdatedRows);
  }, context);
  forgetSession(sessionId);
  return n > 0;
}
