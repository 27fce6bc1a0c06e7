import { sql } from "kysely";
import { asService } from "../db/with-user";
import { UnauthorizedError } from "../errors";
import type { AppRole } from "../db/schema";
import type { Session } from "./session-types";
import { CACHE_MS, forgetSession, sessionCache } from "./session-cache";
import { staffIdleMinutes } from "./staff-idle";
import { verifyAccessToken } from "./tokens";

const SESSION_ENDED = () => new UnauthorizedError("The session has ended. Sign in again.", "session_revoked");

/**
 * The session behind an access token, if it is still live (signature, expiry, revocation,
 * account, staff idleness). Role, aal and MFA-pending come from the session row: a token
 * whose role disagrees with its account is refused, and an aal it claims is ignored.
 */
export async function authenticateAccessToken(token: string): Promise<Session> {
  const claimed = await verifyAccessToken(token);
  const hit = sessionCache().get(claimed.sessionId);
  let session: Session;
  if (hit !== undefined && Date.now() - hit.at < CACHE_MS && hit.session.userId === claimed.userId) {
    session = hit.session;
  } else {
    const row = await asService("authenticate an access token against its session row", async (tx) => {
      const { rows } = await sql<{ out_role: AppRole; out_aal: "aal1" | "aal2"; out_mfa_pending: boolean }>`
        select out_role, out_aal, out_mfa_pending
          from auth.resolve_session(${claimed.sessionId}::uuid, ${claimed.userId}::uuid, ${staffIdleMinutes()})`.execute(tx);
      return rows[0];
    });
    if (!row) {
      forgetSession(claimed.sessionId);
      throw SESSION_ENDED();
    }
    session = { userId: claimed.userId, role: row.out_role, sessionId: claimed.sessionId, aal: row.out_aal };
    if (row.out_mfa_pending) session.mfaPending = true;
    const c = sessionCache();
    if (c.size > 10_000) c.clear();
    c.set(claimed.sessionId, { at: Date.now(), session });
  }
  if (session.role !== claimed.role) throw new UnauthorizedError("The access token is invalid.", "invalid_token");
  return session;
}
