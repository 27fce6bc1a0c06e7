import { z } from "zod";
import { asService, type RequestContext } from "../db/with-user";
import { UnauthorizedError } from "../errors";
import { auditAccountEventTx } from "./audit-events";
import { hashPassword, verifyPassword } from "./passwords";
import { assertAcceptablePassword } from "./password-policy";
import { accountKey, guessAttempt } from "./rate-limit";
import type { Session } from "./session-types";
import { revokeAllSessions } from "./revoke-all-sessions";
import { notifyAccountOwner } from "../mail/notify-account-owner";

export const ZChangePasswordRequest = z.object({
  current_password: z.string().min(1, "is required").max(1024),
  new_password: z.string().max(1024),
});
export type TChangePasswordRequest = z.infer<typeof ZChangePasswordRequest>;

/** Changes the caller's password and signs out every other session. */
export async function changePassword(session: Session, input: TChangePasswordRequest, context: RequestContext = {}): Promise<{ revoked_sessions: number }> {
  // Counted before the hash is checked: past 10 wrong answers in 15 min, 429 without argon2.
  const attempt = await guessAttempt("secret_account", accountKey(session.userId), context);
  const user = await asService("password change: read the hash", (tx) =>
    tx.selectFrom("auth.users").select(["email", "password_hash"]).where("id", "=", session.userId).executeTakeFirstOrThrow(),
  context);
  if (!(await verifyPassword(user.password_hash, input.current_password))) {
    throw new UnauthorizedError("The current password is not right.", "invalid_credentials");
  }
  await attempt.forgive();
  assertAcceptablePassword(input.new_password, user.email, "new_password");
  const hash = await hashPassword(input.new_password);
  return asService("password change: write the hash, revoke other sessions", async (tx) => {
    await tx.updateTable("auth.users").set({ password_hash: hash }).where("id", "=", session.userId).execute();
    const revoked = await revokeAllSessions(tx, session.userId, "password_changed", session.sessionId);
    await auditAccountEventTx(tx, { action: "auth.password_changed", actorId: session.userId, actorRole: session.role, details: { revoked_sessions: revoked } }, context);
    await notifyAccountOwner(tx, session.userId, "password_changed");
    return { revoked_sessions: revoked };
  }, context);
}
