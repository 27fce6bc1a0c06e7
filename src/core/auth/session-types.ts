import type { AppRole } from "../db/schema";

/** Who is asking: the verified identity every withUser call turns into claims. */
export interface Session {
  userId: string;
  role: AppRole;
  sessionId: string;
  aal: "aal1" | "aal2";
  /**
   * Set when the clinic requires MFA for this account and it has none yet: the session may
   * only use /api/v1/auth/* (to enrol) until it signs in again with MFA.
   */
  mfaPending?: boolean;
  /**
   * Set when an outside app (SMART on FHIR) acts for the user with one of its tokens: the
   * session is the app's own (app.smart_grants), and read records name the app.
   */
  smartApp?: { clientId: string; name: string };
}
