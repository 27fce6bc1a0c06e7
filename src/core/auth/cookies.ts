import { forwardedProto, trustedProxyHops } from "../http/client-address";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "./cookie-names";
import type { TokenPair } from "./issue-tokens";
import { sessionMaxSeconds } from "./start-session";
import { env } from "../config/env";

/**
 * The browser's session: the same token pair as API clients, carried in HttpOnly cookies
 * (SameSite=Lax; Secure when served over https). The refresh cookie is Path=/ because the
 * proxy refreshes silently on page requests too. X-Forwarded-Proto counts only behind a
 * trusted proxy (TRUST_PROXY).
 */
export function isHttps(req: Request): boolean {
  const forced = env().COOKIE_SECURE;
  if (forced !== undefined) return forced;
  return forwardedProto(req.headers.get("x-forwarded-proto"), trustedProxyHops()) === "https" || new URL(req.url).protocol === "https:";
}

function cookie(name: string, value: string, maxAge: number, secure: boolean): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

export function sessionCookies(tokens: TokenPair, secure: boolean): string[] {
  return [cookie(ACCESS_COOKIE, tokens.access_token, tokens.expires_in, secure), cookie(REFRESH_COOKIE, tokens.refresh_token, sessionMaxSeconds(), secure)];
}

export function clearedSessionCookies(secure: boolean): string[] {
  return [cookie(ACCESS_COOKIE, "", 0, secure), cookie(REFRESH_COOKIE, "", 0, secure)];
}

/** A Response with Set-Cookie headers appended (Headers keeps several Set-Cookie values apart). */
export function withCookies(res: Response, cookies: string[]): Response {
  for (const c of cookies) res.headers.append("Set-Cookie", c);
  return res;
}
