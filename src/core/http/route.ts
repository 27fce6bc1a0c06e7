import { randomUUID } from "node:crypto";
import { authenticateAccessToken } from "../auth/authenticate-access-token";
import type { Session } from "../auth/session-types";
import type { RequestContext } from "../db/with-user";
import { ForbiddenError, UnauthorizedError } from "../errors";
import { log, redactUrl } from "../log";
import { CLIENT_IP_HEADER, forwardedHost, trustedProxyHops } from "./client-address";
import { acceptRequestId, REQUEST_ID_HEADER } from "./request-id";
import { errorResponse } from "./respond";

import { ACCESS_COOKIE, REFRESH_COOKIE } from "../auth/cookie-names";
import { readCookieHeader } from "./read-cookie";
export { ACCESS_COOKIE, REFRESH_COOKIE };

/** Headers set by server.ts (clients cannot forge them: server.ts overwrites them). */
export { CLIENT_IP_HEADER, REQUEST_ID_HEADER };

/** A route's dynamic segments: a string each, a list for a catch-all ([...path]). */
export type RouteParams = Record<string, string | string[]>;

export interface Call<P extends RouteParams> {
  req: Request;
  params: P;
  session: Session | null;
  context: RequestContext;
}

export interface AuthedCall<P extends RouteParams> extends Call<P> {
  session: Session;
}

type Handler<C> = (call: C) => Promise<Response>;

/** Turns anything a handler throws into the answer (the JSON API's error shape by default; /fhir/R4 renders OperationOutcome). */
export type ErrorRenderer = (e: unknown, requestId: string) => Response;

function readCookie(req: Request, name: string): string | undefined {
  return readCookieHeader(req.headers.get("cookie"), name);
}

export function requestContext(req: Request): RequestContext {
  return {
    requestId: acceptRequestId(req.headers.get(REQUEST_ID_HEADER)) ?? randomUUID(),
    ip: req.headers.get(CLIENT_IP_HEADER) ?? undefined,
    userAgent: req.headers.get("user-agent")?.slice(0, 512) ?? undefined,
  };
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Cookie-carried sessions are open to cross-site request forgery; bearer tokens are not.
 * A cookie-authenticated mutation must come from our own origin. X-Forwarded-Host counts
 * only as a trusted proxy wrote it (TRUST_PROXY): a client's own copy could name its Origin.
 */
export function assertSameOrigin(req: Request): void {
  const site = req.headers.get("sec-fetch-site");
  if (site === "same-origin") return;
  // A browser that says where the request comes from is believed when it says "not here".
  if (site === "cross-site" || site === "same-site") throw new ForbiddenError("Cross-site request refused.", "csrf_rejected");
  const origin = req.headers.get("origin");
  const host = forwardedHost(req.headers.get("x-forwarded-host"), trustedProxyHops()) ?? req.headers.get("host");
  if (origin && host) {
    try {
      if (new URL(origin).host === host) return;
    } catch {
      /* fall through */
    }
  }
  throw new ForbiddenError("Cross-site request refused.", "csrf_rejected");
}

/**
 * A session that must enrol in MFA first (clinic setting) may only use the account
 * endpoints under /api/v1/auth/ until it signs in with MFA.
 */
function assertMfaSatisfied(req: Request, session: Session): Session {
  if (session.mfaPending && !new URL(req.url).pathname.startsWith("/api/v1/auth/")) {
    throw new ForbiddenError("Your clinic requires two-factor authentication. Turn it on from your account page, then sign in again.", "mfa_required");
  }
  return session;
}

async function resolveSession(req: Request): Promise<Session | null> {
  const header = req.headers.get("authorization");
  if (header) {
    const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
    if (!m) throw new UnauthorizedError("The Authorization header must be \"Bearer <token>\".", "invalid_token");
    return assertMfaSatisfied(req, await authenticateAccessToken(m[1]));
  }
  const cookie = readCookie(req, ACCESS_COOKIE);
  if (cookie) {
    if (UNSAFE.has(req.method)) assertSameOrigin(req);
    return assertMfaSatisfied(req, await authenticateAccessToken(cookie));
  }
  return null;
}

type Door = "session required" | "session optional" | "device token";

/**
 * A second kind of bearer token a route may take besides the portal's own: an outside app's
 * (SMART on FHIR, src/core/smart). `matches` tells its tokens apart; `resolve` checks one and
 * gives the session the app acts through.
 */
export interface AppDoor<A extends { session: Session }> {
  matches(token: string): boolean;
  resolve(token: string): Promise<A>;
}

export interface AppAwareCall<P extends RouteParams, A> extends Call<P> {
  /** Set when the request came with an app's token; session is then the app's session. */
  app: A | null;
}

function appBearer(req: Request, door: AppDoor<{ session: Session }> | undefined): string | undefined {
  if (!door) return undefined;
  const m = /^Bearer\s+(\S{1,512})$/i.exec(req.headers.get("authorization")?.trim() ?? "");
  return m && door.matches(m[1]) ? m[1] : undefined;
}

function wrap<P extends RouteParams>(
  door: Door,
  handler: (call: Call<P>) => Promise<Response>,
  renderError: ErrorRenderer = errorResponse,
  appDoor?: AppDoor<{ session: Session }>,
) {
  return async (req: Request, ctx?: { params?: Promise<P> }): Promise<Response> => {
    const context = requestContext(req);
    const started = performance.now();
    let status = 500;
    let userId: string | undefined;
    try {
      const params = ((await ctx?.params) ?? {}) as P;
      // a device token is checked by the database inside withDevice, never as a session
      const appToken = appBearer(req, appDoor);
      const app = appToken && appDoor ? await appDoor.resolve(appToken) : null;
      const session = door === "device token" ? null : app ? app.session : await resolveSession(req);
      if (door === "session required" && !session) throw new UnauthorizedError();
      userId = session?.userId;
      const res = await handler(appDoor ? ({ req, params, session, context, app } as Call<P>) : { req, params, session, context });
      status = res.status;
      res.headers.set("X-Request-Id", context.requestId!);
      return res;
    } catch (e) {
      const res = renderError(e, context.requestId!);
      status = res.status;
      return res;
    } finally {
      log.info(
        { requestId: context.requestId, method: req.method, path: redactUrl(new URL(req.url).pathname), status, userId, ip: context.ip, ms: Math.round(performance.now() - started) },
        "request",
      );
    }
  };
}

/** A route that needs a signed-in user; answers 401 otherwise. */
export function authed<P extends RouteParams = Record<string, never>>(handler: Handler<AuthedCall<P>>, renderError?: ErrorRenderer) {
  return wrap<P>("session required", handler as (call: Call<P>) => Promise<Response>, renderError);
}

/** A route open to anonymous callers (it may still use a session if one is presented). */
export function open<P extends RouteParams = Record<string, never>>(handler: Handler<Call<P>>, renderError?: ErrorRenderer) {
  return wrap<P>("session optional", handler, renderError);
}

/** A route open to anonymous callers that also takes an outside app's token (see AppDoor). */
export function openOrApp<P extends RouteParams, A extends { session: Session }>(
  appDoor: AppDoor<A>,
  handler: Handler<AppAwareCall<P, A>>,
  renderError?: ErrorRenderer,
) {
  return wrap<P>("session optional", handler as (call: Call<P>) => Promise<Response>, renderError, appDoor);
}

export interface DeviceCall<P extends RouteParams> extends Call<P> {
  /** The wearable's bearer token, unchecked: withDevice has the database check it. */
  deviceToken: string;
}

/** A route for wearables: authenticated by a device token (`Authorization: Bearer cbd_…`), not by a user session. */
export function deviceRoute<P extends RouteParams = Record<string, never>>(handler: Handler<DeviceCall<P>>) {
  return wrap<P>("device token", async (call) => {
    const m = /^Bearer\s+(\S{1,200})$/i.exec(call.req.headers.get("authorization")?.trim() ?? "");
    if (!m) throw new UnauthorizedError("Send the device token as \"Authorization: Bearer <token>\".", "invalid_device_token");
    return handler({ ...call, deviceToken: m[1] });
  });
}

export { readCookie };
