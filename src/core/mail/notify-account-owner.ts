import type { Tx } from "../db/with-user";
import { enqueueMail } from "./enqueue-mail";

export type SecurityNotice = "password_changed" | "mfa_enabled" | "mfa_reset" | "sign_up_duplicate";

/**
 * Tells an account's owner, at the account's own address, about a security event on it:
 * in the event's transaction (a service transaction), so the notice exists exactly when the
 * event does. The mail names no detail of the event beyond its kind (templates.ts).
 */
export async function notifyAccountOwner(tx: Tx, userId: string, kind: SecurityNotice): Promise<void> {
  const owner = await tx.selectFrom("auth.users").select("email").where("id", "=", userId).executeTakeFirst();
  if (owner) await enqueueMail(tx, { kind, to: owner.email, params: {} });
}
