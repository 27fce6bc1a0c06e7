import { authed, REFRESH_COOKIE, readCookie } from "@/core/http/route";
import { noContent } from "@/core/http/respond";
import { signOut } from "@/core/auth/sign-out";
import { clearedSessionCookies, isHttps, withCookies } from "@/core/auth/cookies";

/** Ends the caller's session (bearer or cookie); clears the browser's cookies either way. */
export const POST = authed(async ({ req, session, context }) => {
  await signOut(session, context);
  const res = noContent();
  return readCookie(req, REFRESH_COOKIE) !== undefined || req.headers.get("cookie") ? withCookies(res, clearedSessionCookies(isHttps(req))) : res;
});
