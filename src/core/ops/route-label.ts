import { readFileSync } from "node:fs";
import path from "node:path";
import { matchRoute, parseSegments, type Segment } from "../http/api-router";

/**
 * The `route` label of HTTP metrics: the route pattern a request matched
 * (`/api/v1/patients/{id}`), never the path it carried, so no id or token reaches a label and
 * the number of series stays bounded. Patterns come from the build's app-path-routes manifest
 * (`/api/v1/patients/[id]`); a path that matches none is `unmatched`, Next's assets are
 * `/_next/static` and `/_next`.
 */

interface Pattern {
  label: string;
  segments: Segment[];
}

export const UNMATCHED = "unmatched";

function parse(route: string): Pattern {
  const segments = parseSegments(route);
  const label =
    "/" +
    segments
      .map((s) => (s.kind === "static" ? s.value : s.kind === "param" ? `{${s.name}}` : `{${s.name}...}`))
      .join("/");
  return { label, segments };
}

/** More specific first: fewer catch-alls, then fewer parameters, then more segments. */
function specificity(p: Pattern): [number, number, number] {
  const rest = p.segments.filter((s) => s.kind === "rest").length;
  const params = p.segments.filter((s) => s.kind === "param").length;
  return [rest, params, -p.segments.length];
}

function matches(p: Pattern, parts: string[]): boolean {
  return matchRoute(p.segments, parts) !== undefined;
}

export class RouteLabeler {
  private readonly exact = new Map<string, string>();
  private readonly dynamic: Pattern[];

  constructor(routes: Iterable<string>) {
    const dynamic: Pattern[] = [];
    for (const route of new Set(routes)) {
      const p = parse(route);
      if (p.segments.every((s) => s.kind === "static")) this.exact.set(p.label, p.label);
      else dynamic.push(p);
    }
    this.dynamic = dynamic.sort((a, b) => {
      const [x, y] = [specificity(a), specificity(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
  }

  /** The pattern for a request target (`/api/v1/patients/3f…?x=1` → `/api/v1/patients/{id}`). */
  label(target: string | undefined): string {
    const pathname = (target ?? "").split(/[?#]/, 1)[0];
    if (pathname.startsWith("/_next/static/")) return "/_next/static";
    if (pathname.startsWith("/_next/")) return "/_next";
    const parts = pathname.split("/").filter(Boolean);
    const normal = "/" + parts.join("/");
    const exact = this.exact.get(normal);
    if (exact) return exact;
    for (const p of this.dynamic) if (matches(p, parts)) return p.label;
    return UNMATCHED;
  }
}

/**
 * The route patterns of a production build (`.next/app-path-routes-manifest.json`). Without a
 * build (dev), none: every path but Next's own is `unmatched`.
 */
export function loadRoutePatterns(distDir: string): string[] {
  return Object.values(loadAppPathRoutes(distDir)).filter((r) => typeof r === "string");
}

/** The build's app-path-routes manifest (`{"/api/v1/patients/[id]/route": "/api/v1/patients/[id]", …}`); empty without a build. */
export function loadAppPathRoutes(distDir: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(path.join(distDir, "app-path-routes-manifest.json"), "utf8")) as Record<string, string>;
  } catch {
    return {};
  }
}
