import { asService, type RequestContext } from "../db/with-user";
import { revokeSessionTx } from "./revoke-session";
import { forgetSession } from "./session-cache";
import { sha256Hex } from "./tokens";

/** Revokes the session a refresh token belongs to (browser sign-out without a live access cookie). */
export async function revokeSessionByRefreshToken(refreshToken: string, reason: string, context: RequestContext = {}): Promise<void> {
  const id = await asService("session revocation by refresh token", async (tx) => {
    const row = await tx.selectFrom("auth.refresh_tokens").select("session_id").where("token_hash", "=", sha256Hex(refreshToken)).executeTakeFirst();
    if (row) await revokeSessionTx(tx, row.session_id, reason);
    return row?.session_id;
  }, context);
  if (id) forgetSession(id);
}
