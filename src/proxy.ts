import { NextResponse, type NextRequest } from "next/server";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "@/core/auth/cookie-names";
import { forwardedProto, trustedProxyHops } from "@/core/http/client-address";
import { env } from "@/core/config/env";

/**
 * Runs before every route (Next 16's proxy, formerly middleware):
 * 1. security headers on every answer: a nonce-based CSP (no 'unsafe-eval' in production),
 *    frame-ancestors 'none', nosniff, a strict referrer policy, HSTS over https;
 * 2. silent refresh of the browser session: a page request whose access cookie is missing
 *    or about to expire, with a refresh cookie, is refreshed through
 *    POST /api/v1/auth/session/refresh (the one place that rotates tokens), and the page
 *    renders with the new access cookie.
 * It is UX and hardening only: every route handler and page still checks the session,
 * and RLS decides what anyone sees. It deliberately holds no database handle.
 */

const REFRESH_AHEAD_SECONDS = 30;

export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Radix and sonner set style attributes; inline styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Over https: TLS here, or X-Forwarded-Proto from a trusted proxy (TRUST_PROXY). */
function isHttps(req: NextRequest): boolean {
  return req.nextUrl.protocol === "https:" || forwardedProto(req.headers.get("x-forwarded-proto"), trustedProxyHops()) === "https";
}

/** Seconds until the access token expires, read without verifying it (the server verifies). */
function secondsLeft(token: string | undefined): number {
  if (!token) return -1;
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: unknown };
    return typeof payload.exp === "number" ? payload.exp - Date.now() / 1000 : -1;
  } catch {
    return -1;
  }
}

function isPageNavigation(req: NextRequest): boolean {
  const p = req.nextUrl.pathname;
  return req.method === "GET" && !p.startsWith("/api/") && !p.startsWith("/fhir/") && !p.startsWith("/_next/") && !p.startsWith("/realtime/");
}

function cookieValue(setCookie: string): [string, string] {
  const pair = setCookie.split(";")[0];
  const eq = pair.indexOf("=");
  return [pair.slice(0, eq).trim(), decodeURIComponent(pair.slice(eq + 1))];
}

/** Asks our own refresh endpoint for new cookies; [] when the session cannot be refreshed. */
async function refreshCookies(req: NextRequest, refresh: string): Promise<string[]> {
  try {
    const res = await fetch(new URL("/api/v1/auth/session/refresh", req.nextUrl.origin), {
      method: "POST",
      headers: {
        cookie: `${REFRESH_COOKIE}=${encodeURIComponent(refresh)}`,
        origin: req.nextUrl.origin,
        "sec-fetch-site": "same-origin",
        "user-agent": req.headers.get("user-agent") ?? "",
        ...(isHttps(req) ? { "x-forwarded-proto": "https" } : {}),
      },
      cache: "no-store",
    });
    return res.headers.getSetCookie();
  } catch {
    return [];
  }
}

export async function proxy(req: NextRequest): Promise<NextResponse> {
  const dev = env().NODE_ENV === "development";
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = contentSecurityPolicy(nonce, dev);

  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", csp);

  let newCookies: string[] = [];
  const refresh = req.cookies.get(REFRESH_COOKIE)?.value;
  if (refresh && isPageNavigation(req) && secondsLeft(req.cookies.get(ACCESS_COOKIE)?.value) < REFRESH_AHEAD_SECONDS) {
    newCookies = await refreshCookies(req, refresh);
    if (newCookies.length) {
      // The page renders with the new cookies (or none, when the session is over).
      const jar = new Map(req.cookies.getAll().map((c) => [c.name, c.value]));
      for (const c of newCookies) {
        const [name, value] = cookieValue(c);
        if (value) jar.set(name, value);
        else jar.delete(name);
      }
      requestHeaders.set("cookie", [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; "));
    }
  }

  const res = NextResponse.next({ request: { headers: requestHeaders } });
  res.headers.set("Content-Security-Policy", csp);
  res.headers.set("X-Content-Type-Options", "nosniff");
  res.headers.set("X-Frame-Options", "DENY");
  res.headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
  // The video-visit page alone may use the camera, microphone and screen capture (docs/telehealth.md);
  // the policy is the document's, so the links to it load it as a new document.
  const media = req.nextUrl.pathname.startsWith("/visits/call/") ? "camera=(self), microphone=(self), display-capture=(self)" : "camera=(), microphone=()";
  res.headers.set("Permissions-Policy", `${media}, geolocation=(), payment=()`);
  res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
  if (isHttps(req)) res.headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  for (const c of newCookies) res.headers.append("Set-Cookie", c);
  return res;
}

export const config = {
  matcher: [
    {
      // Pages only: API (and /fhir) answers carry their headers from next.config and the route helpers;
      // the proxy's work (nonce, CSP, silent refresh) is for pages.
      source: "/((?!_next/static|_next/image|favicon.ico|api/|fhir/).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
        // Uploads stream straight to their route handler: a proxy in front would make Next
        // buffer the whole body in memory (and cut it at 10 MB).
        { type: "header", key: "content-type", value: "multipart/form-data.*" },
      ],
    },
  ],
};
