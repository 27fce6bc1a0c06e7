import type { Session } from "./session-types";
import { ForbiddenError } from "../errors";

/**
 * Admin endpoints need an admin signed in with MFA (aal2). The database still decides
 * what the admin may touch (app_admin policies); this is the API's gate in front of it.
 */
export function requireAdmin(session: Session): void {
  if (session.role !== "admin") throw new ForbiddenError("Only administrators can do this.");
  if (session.aal !== "aal2") {
    throw new ForbiddenError("Administrators must turn on two-factor authentication and sign in with it first.", "mfa_required");
  }
}

export function requireRole(session: Session, ...roles: Session["role"][]): void {
  if (!roles.includes(session.role)) throw new ForbiddenError();
}
