import type { Session } from "./session-types";

// A short in-process cache of live sessions: revocation on this instance clears it at
// once; on other instances it takes effect within CACHE_MS. It holds what the session ROW
// says (role, aal, MFA pending), never what a token claims. PHI never depends on it:
// withUser checks the row again in the database (auth.enter_session) on every transaction.
export const CACHE_MS = 1000;
const CACHE_KEY = Symbol.for("carebase.session-cache");

interface Cached {
  at: number;
  session: Session;
}

/** The cache itself (authenticateAccessToken reads and fills it). */
export const sessionCache = (): Map<string, Cached> => {
  const g = globalThis as unknown as Record<symbol, Map<string, Cached> | undefined>;
  return (g[CACHE_KEY] ??= new Map());
};

/** Drops a session from this instance's cache (it was revoked or found ended). */
export function forgetSession(sessionId: string): void {
  sessionCache().delete(sessionId);
}
