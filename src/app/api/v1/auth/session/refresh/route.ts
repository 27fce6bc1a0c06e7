import { open, assertSameOrigin, REFRESH_COOKIE, readCookie } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { refreshReuseGraceSeconds, refreshSession } from "@/core/auth/refresh-session";
import { hit, ipKey } from "@/core/auth/rate-limit";
import { clearedSessionCookies, isHttps, sessionCookies, withCookies } from "@/core/auth/cookies";
import { AppError, UnauthorizedError } from "@/core/errors";
import { errorResponse } from "@/core/http/respond";

/** Silent refresh for the browser (the page's timer and src/proxy.ts): new cookies from the refresh cookie. */
export const POST = open(async ({ req, context }) => {
  assertSameOrigin(req);
  const refresh = readCookie(req, REFRESH_COOKIE);
  if (!refresh) throw new UnauthorizedError("Sign in to continue.", "no_session");
  await hit("refresh_ip", ipKey(context), context);
  try {
    // parallel requests of one browser may present the same cookie: a short grace period
    const { tokens } = await refreshSession(refresh, context, { reuseGraceSeconds: refreshReuseGraceSeconds() });
    return withCookies(json({ expires_in: tokens.expires_in }), sessionCookies(tokens, isHttps(req)));
  } catch (e) {
    // A dead session also loses its cookies.
    if (e instanceof AppError && e.status === 401) return withCookies(errorResponse(e, context.requestId!), clearedSessionCookies(isHttps(req)));
    throw e;
  }
});
