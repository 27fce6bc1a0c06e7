import { authed, ACCESS_COOKIE, readCookie } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { verifyMfaEnrollment } from "@/core/auth/mfa";
import { withUser } from "@/core/db/with-user";
import { loadAccount } from "@/core/auth/account";
import { isHttps, sessionCookies, withCookies } from "@/core/auth/cookies";
import { ZVerifyRequest } from "@/core/auth/token-requests.types";

/** Turns MFA on and replaces this session with an aal2 one (new pair; cookies too for the browser). */
export const POST = authed(async ({ req, session, context }) => {
  const { code } = await parseJson(req, ZVerifyRequest);
  const out = await verifyMfaEnrollment(session, code, context);
  const user = await withUser(out.session, (tx) => loadAccount(tx, out.session.userId), context);
  const res = json({ ...out.tokens, user });
  return readCookie(req, ACCESS_COOKIE) !== undefined ? withCookies(res, sessionCookies(out.tokens, isHttps(req))) : res;
});
