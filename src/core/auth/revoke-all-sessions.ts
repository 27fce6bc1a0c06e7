import type { Tx } from "../db/with-user";
import { forgetSession } from "./session-cache";

/** Revokes every live session of a user (password change, deactivation, "sign out everywhere"), optionally sparing one. */
export async function revokeAllSessions(tx: Tx, userId: string, reason: string, exceptSessionId?: string): Promise<number> {
  let q = tx
    .updateTable("auth.sessions")
    .set({ revoked_at: new Date(), revoke_reason: reason })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null);
  if (exceptSessionId) q = q.where("id", "!=", exceptSessionId);
  const rows = await q.returning("id").execute();
  for (const r of rows) forgetSession(r.id);
  return rows.length;
}
