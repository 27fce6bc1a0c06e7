import { asService, type RequestContext, type Tx } from "../db/with-user";
import { forgetSession } from "./session-cache";

/** Revokes one session inside the caller's transaction (still live ones only). */
export async function revokeSessionTx(tx: Tx, sessionId: string, reason: string): Promise<void> {
  await tx
    .updateTable("auth.sessions")
    .set({ revoked_at: new Date(), revoke_reason: reason })
    .where("id", "=", sessionId)
    .where("revoked_at", "is", null)
    .execute();
}


/** Revokes one session and drops it from this instance's cache. */
export async function revokeSession(sessionId: string, reason: string, context: RequestContext = {}): Promise<void> {
  await asService("session revocation", (tx) => revokeSessionTx(tx, sessionId, reason), context);
  forgetSession(sessionId);
}
