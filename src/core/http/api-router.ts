import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { constants as zlibConstants, createGzip } from "node:zlib";

/**
 * The light router (docs/api-router.md): serves the JSON API (`/api/*`) and FHIR
 * (`/fhir/*`) route handlers straight from server.ts, without Next's per-request work;
 * pages, assets and anything it does not recognise still go to Next. It calls the same
 * route modules Next would (the build's app-path-routes manifest says which exist), with a
 * web `Request` built the way Next builds it, and answers with Next's fixed headers
 * (next.config.ts) added where the handler set none, so answers are the same either way.
 */

export type Segment = { kind: "static"; value: string } | { kind: "param"; name: string } | { kind: "rest"; name: string; optional: boolean };

export type RouteParams = Record<string, string | string[]>;
type Handler = (req: Request, ctx: { params: Promise<RouteParams> }) => Promise<Response> | Response;
export type RouteModule = Record<string, unknown>;

interface Route {
  /** The app path, e.g. `/api/v1/patients/[id]`. */
  pattern: string;
  /** The manifest key, e.g. `/api/v1/patients/[id]/route`: the module under src/app. */
  entry: string;
  segments: Segment[];
  module?: Promise<RouteModule>;
}

const METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"] as const;

/** The headers next.config.ts gives every path (a handler's own value wins). */
const FIXED_HEADERS: Array<[string, string]> = [
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
  ["X-Frame-Options", "DENY"],
];
const HSTS = "max-age=63072000; includeSubDomains";

export function parseSegments(pattern: string): Segment[] {
  return pattern
    .split("/")
    .filter(Boolean)
    .map((s): Segment => {
      const optionalRest = /^\[\[\.\.\.(.+)\]\]$/.exec(s);
      if (optionalRest) return { kind: "rest", name: optionalRest[1], optional: true };
      const rest = /^\[\.\.\.(.+)\]$/.exec(s);
      if (rest) return { kind: "rest", name: rest[1], optional: false };
      const param = /^\[(.+)\]$/.exec(s);
      if (param) return { kind: "param", name: param[1] };
      return { kind: "static", value: s };
    });
}

/** Next's order: at the first segment where two routes differ, static beats a parameter beats a catch-all. */
function compareRoutes(a: Route, b: Route): number {
  const rank = (s: Segment | undefined) => (s === undefined ? 3 : s.kind === "static" ? 0 : s.kind === "param" ? 1 : 2);
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const d = rank(a.segments[i]) - rank(b.segments[i]);
    if (d !== 0) return d;
  }
  return 0;
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function matchRoute(segments: Segment[], parts: string[]): RouteParams | undefined {
  const params: RouteParams = {};
  let i = 0;
  for (const s of segments) {
    if (s.kind === "rest") {
      if (parts.length <= i && !s.optional) return undefined;
      const rest = parts.slice(i).map(decode);
      if (rest.some((r) => r === undefined)) return undefined;
      if (rest.length) params[s.name] = rest as string[];
      return params;
    }
    if (i >= parts.length) return undefined;
    if (s.kind === "static") {
      if (s.value !== parts[i]) return undefined;
    } else {
      const v = decode(parts[i]);
      if (v === undefined) return undefined;
      params[s.name] = v;
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}

export interface ApiRouterOptions {
  /** The build's app-path-routes manifest: `{ "/api/v1/patients/[id]/route": "/api/v1/patients/[id]", … }`. */
  manifest: Record<string, string>;
  /** Loads a route module by its manifest key (server.ts imports `src/app<entry>.ts`). */
  load: (entry: string) => Promise<RouteModule>;
  /** Path prefixes served here. */
  prefixes?: string[];
  /** Called when a handler throws (the route wrappers catch their own errors; this is the last resort). */
  onError?: (err: unknown, req: IncomingMessage) => void;
}

export class ApiRouter {
  private readonly routes: Route[];
  private readonly prefixes: string[];

  constructor(private readonly options: ApiRouterOptions) {
    this.prefixes = options.prefixes ?? ["/api/", "/fhir/"];
    this.routes = Object.entries(options.manifest)
      .filter(([entry, pattern]) => entry.endsWith("/route") && this.prefixes.some((p) => pattern.startsWith(p)))
      .map(([entry, pattern]) => ({ entry, pattern, segments: parseSegments(pattern) }))
      .sort(compareRoutes);
  }

  get size(): number {
    return this.routes.length;
  }

  /** The route and params for a path, if the router serves it. A trailing slash, `//` or `..` is left to Next (it redirects or refuses). */
  find(pathname: string): { route: Route; params: RouteParams } | undefined {
    if (!this.prefixes.some((p) => pathname.startsWith(p))) return undefined;
    if (pathname.endsWith("/") || pathname.includes("//")) return undefined;
    const parts = pathname.split("/").slice(1);
    if (parts.some((p) => p === "." || p === ".." || p === "")) return undefined;
    for (const route of this.routes) {
      const params = matchRoute(route.segments, parts);
      if (params) return { route, params };
    }
    return undefined;
  }

  /** Answers the request and returns true, or returns false for Next to answer. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const target = req.url ?? "/";
    if (!target.startsWith("/")) return false;
    const q = target.indexOf("?");
    const pathname = q === -1 ? target : target.slice(0, q);
    const found = this.find(pathname);
    if (!found) return false;
    const { route, params } = found;
    route.module ??= this.options.load(route.entry);
    let mod: RouteModule;
    try {
      mod = await route.module;
    } catch (e) {
      route.module = undefined;
      throw e;
    }
    const method = (req.method ?? "GET").toUpperCase();
    const exported = METHODS.filter((m) => typeof mod[m] === "function");
    let handler = mod[method] as Handler | undefined;
    if (!handler && method === "HEAD" && typeof mod.GET === "function") handler = mod.GET as Handler;
    const fixed = this.fixedHeaders(req, pathname);
    if (!handler) {
      // as Next: OPTIONS lists the methods (sorted), any other missing method is a bare 405
      if (method === "OPTIONS") {
        const allow = [...new Set([...exported, ...(exported.includes("GET") ? ["HEAD"] : []), "OPTIONS"])].sort().join(", ");
        res.writeHead(204, { ...Object.fromEntries(fixed), Allow: allow });
      } else res.writeHead(405, Object.fromEntries(fixed));
      res.end();
      return true;
    }
    const request = toWebRequest(req, method);
    let response: Response;
    try {
      response = await handler(request, { params: Promise.resolve(params) });
    } catch (e) {
      this.options.onError?.(e, req);
      if (!res.headersSent) res.writeHead(500, { ...Object.fromEntries(fixed), "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal_error", message: "Something went wrong on our side." } }));
      return true;
    }
    await writeWebResponse(res, response, fixed, method === "HEAD", acceptsGzip(req));
    return true;
  }

  private fixedHeaders(req: IncomingMessage, pathname: string): Array<[string, string]> {
    const out = [...FIXED_HEADERS];
    // next.config.ts: HSTS on /api answers reached over https (X-Forwarded-Proto survives only from a trusted proxy)
    const proto = req.headers["x-forwarded-proto"];
    if (pathname.startsWith("/api/") && typeof proto === "string" && /^https/.test(proto)) out.push(["Strict-Transport-Security", HSTS]);
    return out;
  }
}

/** A web Request the way Next gives it to a route handler: absolute URL from Host, streamed body. */
export function toWebRequest(req: IncomingMessage, method: string): Request {
  const forwarded = req.headers["x-forwarded-proto"];
  const https = (req.socket as { encrypted?: boolean }).encrypted || (typeof forwarded === "string" && forwarded.includes("https"));
  const url = `${https ? "https" : "http"}://${req.headers.host || "localhost"}${req.url ?? "/"}`;
  // req.headers, as Next reads them: server.ts has stamped the request id and client address
  // into it and dropped forwarded headers no trusted proxy wrote
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (typeof value === "string") headers.set(name, value);
  }
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(url, {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: hasBody ? "half" : undefined,
  } as RequestInit & { duplex?: "half" });
}

/** Whether the client takes gzip (Next compresses its answers then; so does the router). */
function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers["accept-encoding"];
  return typeof accept === "string" && /\bgzip\b/.test(accept);
}

const COMPRESSIBLE = /^(text\/|application\/(json|[a-z.+-]*\+json|javascript|xml|[a-z.+-]*\+xml|x-ndjson))/i;

export async function writeWebResponse(res: ServerResponse, response: Response, fixed: Array<[string, string]>, headOnly: boolean, gzip = false): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of fixed) headers[k.toLowerCase()] = v;
  response.headers.forEach((value, key) => {
    if (key === "set-cookie") return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  const compress =
    gzip && !headOnly && response.body !== null && !headers["content-encoding"] && response.status !== 204 && response.status !== 304 && COMPRESSIBLE.test(headers["content-type"] as string ?? "");
  if (compress) {
    headers["content-encoding"] = "gzip";
    delete headers["content-length"];
    headers["vary"] = headers["vary"] ? `${headers["vary"]}, Accept-Encoding` : "Accept-Encoding";
  }
  res.writeHead(response.status, headers);
  if (headOnly || !response.body) {
    res.end();
    if (response.body) await response.body.cancel().catch(() => undefined);
    return;
  }
  const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
  await new Promise<void>((resolve) => {
    body.on("error", () => {
      res.destroy();
      resolve();
    });
    res.on("close", () => {
      body.destroy();
      resolve();
    });
    if (compress) {
      // flush each chunk as it comes: a streamed answer (an export, a long list) is not held back
      const z = createGzip({ flush: zlibConstants.Z_SYNC_FLUSH });
      z.on("error", () => res.destroy());
      body.pipe(z).pipe(res);
    } else body.pipe(res);
  });
}
