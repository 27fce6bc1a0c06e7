import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticateAccessToken } from "../auth/authenticate-access-token";
import { ACCESS_COOKIE } from "../auth/cookie-names";
import { z } from "zod";
import { AppError, BadRequestError, UnauthorizedError } from "../errors";
import { validate } from "../http/parse";
import { log } from "../log";
import { assertSameOrigin, requestContext } from "../http/route";
import { readCookieHeader } from "../http/read-cookie";
import { REQUEST_ID_HEADER } from "../http/request-id";
import { connectApp, getConsentRequest } from "./connect-app";
import { corsHeadersFor } from "./cors";
import { smartProvider } from "./provider";
import { smartConfiguration } from "./smart-configuration";
import { OAUTH_PREFIX } from "./smart-urls";

const CONSENT_PAGE = `${OAUTH_PREFIX}/consent`;
const MAX_FORM_BYTES = 16 * 1024;

/**
 * The SMART on FHIR entry for server.ts, before the API router and Next: the OAuth server
 * (oidc-provider) under /oauth, the consent submission, SMART discovery and CORS for
 * /fhir/R4. Returns false for anything else (and for /oauth/consent/*, a Next page).
 */
export async function handleSmartHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  if (path.startsWith("/fhir/R4")) return fhirCors(req, res, path);
  if (path !== OAUTH_PREFIX && !path.startsWith(`${OAUTH_PREFIX}/`)) return false;
  if (path.startsWith(`${CONSENT_PAGE}/`)) return false;
  const m = /^\/oauth\/interaction\/([A-Za-z0-9_-]{8,64})(\/(confirm|abort))?$/.exec(path);
  if (m) {
    if (!m[2] && req.method === "GET") {
      // the consent page (Next) signs the user in first if need be
      res.writeHead(303, { Location: `${CONSENT_PAGE}/${m[1]}`, "Cache-Control": "no-store" }).end();
      return true;
    }
    if (m[2] && req.method === "POST") {
      await finishInteraction(req, res, m[1], m[3] as "confirm" | "abort");
      return true;
    }
    res.writeHead(405, { Allow: m[2] ? "POST" : "GET" }).end();
    return true;
  }
  const provider = smartProvider();
  const original = req.url ?? "/";
  (req as IncomingMessage & { originalUrl?: string }).originalUrl = original;
  req.url = original.slice(OAUTH_PREFIX.length) || "/";
  await provider.callback()(req, res);
  return true;
}

async function fhirCors(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const cors = await corsHeadersFor(typeof req.headers.origin === "string" ? req.headers.origin : undefined);
  if (req.method === "OPTIONS") {
    res.writeHead(cors ? 204 : 403, { ...(cors ?? {}), "Access-Control-Allow-Methods": "GET, OPTIONS", "Access-Control-Allow-Headers": "Authorization, Accept, Content-Type", "Access-Control-Max-Age": "600" }).end();
    return true;
  }
  if (cors) for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
  if (path === "/fhir/R4/.well-known/smart-configuration" && req.method === "GET") {
    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "public, max-age=300" }).end(JSON.stringify(smartConfiguration()));
    return true;
  }
  return false;
}

function redirectTo(res: ServerResponse, to: string): void {
  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" }).end(JSON.stringify({ redirect_to: to }));
}

function toRequest(req: IncomingMessage, body?: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  return new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`), { method: req.method, headers, body });
}

const ZConsentAnswer = z.object({ scopes: z.array(z.string().max(100)).max(64).default([]) });

async function readConsent(req: IncomingMessage): Promise<string[]> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new AppError(413, "payload_too_large", "The request is too large.");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let body: unknown = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new BadRequestError("The body is not valid JSON.", "invalid_json");
  }
  return validate(ZConsentAnswer, body).scopes;
}

/**
 * The consent page's answer (JSON, from our own page's script): approve the chosen scopes,
 * or refuse (the app hears access_denied). Answers 200 {redirect_to}: the page navigates
 * there itself, because the portal's CSP (form-action 'self') would stop a form post that
 * is redirected on to the app.
 */
async function finishInteraction(req: IncomingMessage, res: ServerResponse, uid: string, action: "confirm" | "abort"): Promise<void> {
  const request = toRequest(req);
  const context = requestContext(request);
  try {
    assertSameOrigin(request); // a cookie-carried session: the form must be our own page's
    const token = readCookieHeader(req.headers.cookie, ACCESS_COOKIE);
    if (!token) throw new UnauthorizedError();
    const session = await authenticateAccessToken(token);
    const answer = await readConsent(req);
    const provider = smartProvider();
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new AppError(400, "invalid_request", "This approval belongs to another authorization.");
    const consent = await getConsentRequest(session, uid, context);
    const available = new Set(consent.scopes.filter((s) => s.available).map((s) => s.scope));
    const chosen = answer.filter((s) => available.has(s));
    if (action === "abort" || chosen.length === 0) {
      const to = await provider.interactionResult(req, res, { error: "access_denied", error_description: "The user did not connect the app." }, { mergeWithLastSubmission: false });
      return redirectTo(res, to);
    }
    const { grantId } = await connectApp(session, consent, chosen, async (scopes, rejected) => {
      const grant = new provider.Grant({ accountId: session.userId, clientId: consent.clientId });
      if (scopes.length) grant.addOIDCScope(scopes.join(" "));
      if (rejected.length) grant.rejectOIDCScope(rejected.join(" ")); // unticked: not asked again in this flow
      if (scopes.includes("fhirUser")) grant.addOIDCClaims(["fhirUser"]);
      return grant.save();
    }, context);
    log.info({ requestId: req.headers[REQUEST_ID_HEADER], userId: session.userId, clientId: consent.clientId }, "app connected");
    redirectTo(res, await provider.interactionResult(req, res, { login: { accountId: session.userId }, consent: { grantId } }, { mergeWithLastSubmission: false }));
  } catch (e) {
    const status = e instanceof AppError ? e.status : 400;
    const message = e instanceof AppError ? e.message : "This authorization request has expired or is not valid. Start again from the app.";
    if (!(e instanceof AppError)) log.warn({ requestId: req.headers[REQUEST_ID_HEADER], err: (e as Error)?.name }, "app consent failed");
    if (!res.headersSent) res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
    res.end(JSON.stringify({ error: { code: e instanceof AppError ? e.code : "invalid_request", message } }));
  }
}
