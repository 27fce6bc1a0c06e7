import type { Session } from "../auth/session-types";
import { readOwnAccount } from "../auth/account";
import type { RequestContext } from "../db/with-user";
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
  /** The clinic requires two factors and this session has none yet: only the account page works. */
  mfaPending: boolean;
}

export async function getViewer(session: Session, context: RequestContext = {}): Promise<Viewer> {
  const account = await readOwnAccount(session, context);
  if (!account) throw new UnauthorizedError("The session has ended. Sign in again.", "session_revoked");
  return {
    id: account.id,
    email: account.email,
    fullName: account.full_name,
    role: account.role,
    aal: session.aal,
    verified: account.verified,
    mfaEnabled: account.mfa_enabled,
    mfaPending: session.mfaPending === true,
  };
}
