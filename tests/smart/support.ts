import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as catchAll from "@/app/fhir/R4/[...path]/route";
import { ACCESS_COOKIE } from "@/core/auth/cookie-names";
import type { Session } from "@/core/auth/session-types";
import { handleSmartHttp } from "@/core/smart/smart-http";
import { registerApp } from "@/core/smart/register-app";

type Handler = (req: Request, ctx: { params: Promise<Record<string, unknown>> }) => Promise<Response>;

/**
 * The portal as an app meets it: the SMART entry server.ts mounts (OAuth server under
 * /oauth, discovery, CORS) in front of the /fhir/R4 route handlers, on a real port.
 * PUBLIC_URL is set to it, so the OAuth server's issuer is this server.
 */
export async function startSmartServer(): Promise<{ origin: string; fhir: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (await handleSmartHttp(req, res)) return;
      const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      if (!url.pathname.startsWith("/fhir/R4/")) {
        res.writeHead(404).end();
        return;
      }
      const rest = url.pathname.replace(/^\/fhir\/R4\/?/, "");
      const handler = (catchAll as unknown as Record<string, Handler>)[req.method ?? "GET"];
      const response = await handler(new Request(url, { method: req.method, headers }), { params: Promise.resolve({ path: rest.split("/").filter(Boolean) }) });
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => (out[k] = v));
      res.writeHead(response.status, out);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (e) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    }
  }
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  const origin = `http://localhost:${port}`;
  process.env.PUBLIC_URL = origin;
  return {
    origin,
    fhir: `${origin}/fhir/R4`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export const APP_REDIRECT = "http://localhost:9999/callback";

export async function registerTestApp(admin: Session, opts: { scopes?: string[]; confidential?: boolean; name?: string } = {}) {
  return registerApp(admin, {
    name: opts.name ?? "Health Tracker",
    redirect_uris: [APP_REDIRECT],
    confidential: opts.confidential ?? false,
    scopes: opts.scopes ?? ["openid", "fhirUser", "offline_access", "launch/patient", "patient/*.rs", "patient/Observation.rs", "patient/Patient.rs", "user/*.rs"],
  });
}

/** A tiny cookie jar: name → value, sent back on every request (paths ignored). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface AuthorizeOptions {
  clientId: string;
  scope: string;
  redirectUri?: string;
  challenge?: string | null;
  method?: string;
  /** What the user ticks on the consent page (default: everything asked). */
  approve?: string[];
  deny?: boolean;
}

/**
 * The browser's part of the flow, by hand: authorize → (the consent page) → the consent
 * form posted with the user's portal cookie → back to the app's redirect URI. Returns the
 * final redirect (code or error) or the failing response.
 */
export async function authorize(origin: string, user: { accessToken: string }, o: AuthorizeOptions): Promise<{ status: number; location: URL | null; body: string }> {
  const jar = new Jar();
  const q = new URLSearchParams({ response_type: "code", client_id: o.clientId, redirect_uri: o.redirectUri ?? APP_REDIRECT, scope: o.scope, state: "st-123", aud: `${origin}/fhir/R4` });
  if (o.challenge !== null) {
    q.set("code_challenge", o.challenge ?? pkcePair().challenge);
    q.set("code_challenge_method", o.method ?? "S256");
  }
  let res = await fetch(`${origin}/oauth/auth?${q}`, { redirect: "manual" });
  jar.take(res);
  const loc = (r: Response) => (r.headers.get("location") ? new URL(r.headers.get("location")!, origin) : null);
  let where = loc(res);
  if (res.status !== 303 || !where || where.origin !== origin) return { status: res.status, location: where, body: await res.text() };
  const uid = where.pathname.split("/").pop()!;
  res = await fetch(where, { redirect: "manual", headers: { cookie: jar.header() } });
  if (res.status !== 303 || !loc(res)?.pathname.startsWith("/oauth/consent/")) return { status: res.status, location: loc(res), body: await res.text() };
  jar.set(ACCESS_COOKIE, user.accessToken);
  res = await fetch(`${origin}/oauth/interaction/${uid}/${o.deny ? "abort" : "confirm"}`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: jar.header(), "content-type": "application/json", origin, "sec-fetch-site": "same-origin" },
    body: JSON.stringify({ scopes: o.approve ?? o.scope.split(" ") }),
  });
  jar.take(res);
  const answer = res.status === 200 ? ((await res.json()) as { redirect_to: string }) : null;
  if (!answer) return { status: res.status, location: null, body: await res.text() };
  where = new URL(answer.redirect_to, origin);
  res = await fetch(where, { redirect: "manual", headers: { cookie: jar.header() } });
  jar.take(res);
  return { status: res.status, location: loc(res), body: await res.text() };
}

export async function tokenRequest(origin: string, params: Record<string, string>, basic?: { id: string; secret: string }): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString("base64")}`;
  const res = await fetch(`${origin}/oauth/token`, { method: "POST", headers, body: new URLSearchParams(params).toString() });
  return { status: res.status, body: await res.json() };
}

/** The whole flow for a public app: a token response. */
export async function connect(origin: string, user: { accessToken: string }, clientId: string, scope: string, approve?: string[]) {
  const { verifier, challenge } = pkcePair();
  const r = await authorize(origin, user, { clientId, scope, challenge, approve });
  const code = r.location?.searchParams.get("code");
  if (!code) throw new Error(`no code: ${r.status} ${r.location} ${r.body.slice(0, 300)}`);
  const t = await tokenRequest(origin, { grant_type: "authorization_code", code, redirect_uri: APP_REDIRECT, client_id: clientId, code_verifier: verifier });
  if (t.status !== 200) throw new Error(`token: ${t.status} ${JSON.stringify(t.body)}`);
  return t.body as { access_token: string; refresh_token?: string; scope: string; patient?: string; id_token?: string; expires_in: number };
}
