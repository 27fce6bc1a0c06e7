import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { UnauthorizedError } from "../errors";

/** Who is signed in, as the page shell needs it. No PHI: the user's own account row. */
export interface Viewer {
  id: string;
  email: string;
  fullName: string;
  role: Session["role"];
  aal: Session["aal"];
  /** Providers only: has an admin verified them? (true for other roles) */
  verified: boolean;
  mfaEnabled: boolean;
}

export async function getViewer(session: Session, context: RequestContext = {}): Promise<Viewer> {
  return withUser(session, async (tx) => {
    const user = await tx
      .selectFrom("auth.users")
      .select(["id", "email", "full_name", "role", "is_active"])
      .where("id", "=", session.userId)
      .executeTakeFirst();
    if (!user || !user.is_active) throw new UnauthorizedError("The session has ended. Sign in again.", "session_revoked");
    let verified = true;
    if (user.role === "provider") {
      const p = await tx.selectFrom("providers").select("is_verified").where("user_id", "=", session.userId).executeTakeFirst();
      verified = Boolean(p?.is_verified);
    }
    // auth.mfa_factors (0100_accounts.sql) exposes (user_id, enabled_at) to the user themself.
    const { rows } = await sql<{ enabled: boolean }>`
      select enabled_at is not null as enabled from auth.mfa_factors where user_id = ${session.userId}`.execute(tx);
    return {
      id: user.id,
      email: user.email,
      fullName: user.full_name,
      role: user.role,
      aal: session.aal,
      verified,
      mfaEnabled: Boolean(rows[0]?.enabled),
    };
  }, context);
}
