import { asService, withUser, type RequestContext, type Tx } from "../db/with-user";
import type { AppRole } from "../db/schema";
import type { Session } from "./session-types";

/** The account as the API shows it (GET /api/v1/auth/user and the sign-in answer). */
export interface Account {
  id: string;
  email: string;
  role: AppRole;
  full_name: string;
  verified: boolean;
  mfa_enabled: boolean;
}

/**
 * Reads one account. Works under withUser (RLS shows the caller their own row) and under
 * asService (sign-in). Undefined when invisible or missing.
 */
export async function loadAccount(tx: Tx, userId: string): Promise<Account | undefined> {
  const row = await tx
    .selectFrom("auth.users as u")
    .leftJoin("providers as p", "p.user_id", "u.id")
    .leftJoin("auth.mfa_factors as m", "m.user_id", "u.id")
    .select(["u.id", "u.email", "u.role", "u.full_name", "p.is_verified", "m.enabled_at"])
    .where("u.id", "=", userId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    full_name: row.full_name,
    verified: row.role === "provider" ? row.is_verified === true : true,
    mfa_enabled: row.enabled_at !== null && row.enabled_at !== undefined,
  };
}

/**
 * The caller's own account. Through withUser (RLS) for every session, except one that
 * must enrol in two-factor authentication first: withUser refuses those, and their account
 * page still needs their own name and MFA state, so it is read on a named service path
 * that reaches that one row and nothing else.
 */
export async function readOwnAccount(session: Session, context: RequestContext = {}): Promise<Account | undefined> {
  if (session.mfaPending) {
    return asService("the own account row of a session that must enrol in MFA first", (tx) => loadAccount(tx, session.userId), context);
  }
  return withUser(session, (tx) => loadAccount(tx, session.userId), context);
}
