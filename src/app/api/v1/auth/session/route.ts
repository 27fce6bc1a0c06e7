import { open, assertSameOrigin, REFRESH_COOKIE, readCookie } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json, noContent } from "@/core/http/respond";
import { signIn, ZSignInRequest } from "@/core/auth/signin";
import { revokeSession } from "@/core/auth/revoke-session";
import { revokeSessionByRefreshToken } from "@/core/auth/revoke-session-by-refresh-token";
import { clearedSessionCookies, isHttps, sessionCookies, withCookies } from "@/core/auth/cookies";

/**
 * Browser sign-in: sets the HttpOnly session cookies. Same-origin only (no login CSRF).
 * The body carries the user and the access token's lifetime, never the tokens.
 */
export const POST = open(async ({ req, context }) => {
  assertSameOrigin(req);
  const body = await parseJson(req, ZSignInRequest);
  const { tokens, user } = await signIn(body, context);
  return withCookies(json({ user, expires_in: tokens.expires_in }), sessionCookies(tokens, isHttps(req)));
});

/** Browser sign-out: revokes the session behind the refresh cookie and clears both cookies. */
export const DELETE = open(async ({ req, session, context }) => {
  assertSameOrigin(req);
  const refresh = readCookie(req, REFRESH_COOKIE);
  if (session) await revokeSession(session.sessionId, "signed_out", context);
  else if (refresh) await revokeSessionByRefreshToken(refresh, "signed_out", context);
  return withCookies(noContent(), clearedSessionCookies(isHttps(req)));
});
