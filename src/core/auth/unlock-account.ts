import { sql } from "kysely";
import { asService, withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import { auditAccountEventTx } from "./audit-events";
import { requireAdmin } from "./require";
import type { Session } from "./session-types";
import { throttleKey } from "./rate-limit";

/** The lockout key of an email (auth.sign_in_failures is keyed by this HMAC, never the address). */
const lockKey = (email: string) => throttleKey(`email:${email}`);

/**
 * An admin unlocks an account that failed sign-in too often: its failure count and lock go,
 * so the owner can sign in at once. The account must be visible to the admin under RLS
 * first; the lockout table is service-only (it is keyed by HMACs of emails, known or not).
 */
export async function unlockAccount(session: Session, userId: string, context: RequestContext = {}): Promise<{ id: string; was_locked: boolean }> {
  requireAdmin(session);
  const user = await withUser(session, (tx) => tx.selectFrom("auth.users").select(["id", "email"]).where("id", "=", userId).executeTakeFirst(), context);
  if (!user) throw new NotFoundError("user");
  return asService("admin unlock: clear the account's sign-in lockout, audit", async (tx) => {
    const removed = await sql<{ locked: boolean }>`
      delete from auth.sign_in_failures where email_key = ${lockKey(user.email)}
      returning coalesce(locked_until > now(), false) as locked`.execute(tx);
    const wasLocked = removed.rows[0]?.locked === true;
    await auditAccountEventTx(tx, { action: "auth.account_unlocked", actorId: session.userId, actorRole: session.role, targetUserId: userId, details: { was_locked: wasLocked } }, context);
    return { id: userId, was_locked: wasLocked };
  }, context);
}

/** Until when each of these accounts is locked (only the locked ones), for the admins' list. */
export async function lockedUntil(emails: string[], context: RequestContext = {}): Promise<Map<string, string>> {
  if (emails.length === 0) return new Map();
  const byKey = new Map(emails.map((e) => [lockKey(e), e]));
  const rows = await asService("admin users list: which accounts are locked out (no PHI)", (tx) =>
    sql<{ email_key: string; locked_until: Date | string }>`
      select email_key, locked_until from auth.sign_in_failures
       where email_key = any(${[...byKey.keys()]}::text[]) and locked_until > now()`.execute(tx),
  context);
  return new Map(rows.rows.map((r) => [byKey.get(r.email_key)!, new Date(r.locked_until).toISOString()]));
}
