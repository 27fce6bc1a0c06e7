/**
 * Sessions, one operation per file (start-session.ts, refresh-session.ts,
 * authenticate-access-token.ts, revoke-session.ts, revoke-all-sessions.ts,
 * revoke-own-session.ts, revoke-session-by-refresh-token.ts, list-active-sessions.ts; the
 * shared pieces in issue-tokens.ts and session-cache.ts). Import from those files.
 *
 * This re-export stays only for importers that other work in progress still holds
 * (src/core/http/route.ts, deactivate-user.ts, the account page, bench/overview.ts,
 * scripts/import.ts); move them to the operation files and delete it.
 */
export { authenticateAccessToken } from "./authenticate-access-token";
export type { TokenPair } from "./issue-tokens";
export { listActiveSessions, type ActiveSession } from "./list-active-sessions";
export { refreshReuseGraceSeconds, refreshSession } from "./refresh-session";
export { revokeAllSessions } from "./revoke-all-sessions";
export { revokeOwnSession } from "./revoke-own-session";
export { revokeSession } from "./revoke-session";
export { revokeSessionByRefreshToken } from "./revoke-session-by-refresh-token";
export { SESSION_MAX_SECONDS, startSession } from "./start-session";
export { staffIdleMinutes } from "./staff-idle";
