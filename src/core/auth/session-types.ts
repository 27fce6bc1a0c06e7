import type { AppRole } from "../db/schema";

/** Who is asking: the verified identity every withUser call turns into claims. */
export interface Session {
  userId: string;
  role: AppRole;
  sessionId: string;
  aal: "aal1" | "aal2";
}
