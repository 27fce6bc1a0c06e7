import { asService, type RequestContext } from "../db/with-user";
import type { Session } from "./session-types";
import { revokeAllSessions } from "./revoke-all-sessions";
import { revokeSession } from "./revoke-session";
import { auditAccountEvent, auditAccountEventTx } from "./audit-events";

/** Ends this session: its access and refresh tokens are refused at once. */
export async function signOut(session: Session, context: RequestContext = {}): Promise<void> {
  await revokeSession(session.sessionId, "signed_out", context);
  await auditAccountEvent({ action: "auth.session_revoked", actorId: session.userId, actorRole: session.role, details: { session_id: session.sessionId } }, context);
}

/** "Sign out everywhere": every session of the caller, this one included. */
export async function signOutEverywhere(session: Session, context: RequestContext = {}): Promise<number> {
  return asService("sign out everywhere", async (tx) => {
    const n = await revokeAllSessions(tx, session.userId, "signed_out_everywhere");
    await auditAccountEventTx(tx, { action: "auth.sessions_revoked", actorId: session.userId, actorRole: session.role, details: { count: n } }, context);
    return n;
  }, context);
}
