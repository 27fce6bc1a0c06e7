import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadRoutePatterns, RouteLabeler, UNMATCHED } from "./route-label";

const ROUTES = [
  "/",
  "/patients",
  "/patients/[id]",
  "/api/health",
  "/api/health/ready",
  "/api/[...slug]",
  "/api/v1/patients",
  "/api/v1/patients/[id]",
  "/api/v1/patients/[id]/visits",
  "/api/v1/patients/[id]/care-team/[provider_id]",
  "/api/v1/files/[token]",
  "/docs/[[...path]]",
];
const labeler = new RouteLabeler(ROUTES);
const ID = "3f2b8c1e-9d4a-4e6b-8f00-1a2b3c4d5e6f";

describe("RouteLabeler: the route pattern, never the path", () => {
  it.each([
    ["/", "/"],
    ["/patients", "/patients"],
    [`/patients/${ID}`, "/patients/{id}"],
    [`/api/v1/patients/${ID}`, "/api/v1/patients/{id}"],
    [`/api/v1/patients/${ID}/visits?from=2024-01-01&mrn=MRN-1`, "/api/v1/patients/{id}/visits"],
    [`/api/v1/patients/${ID}/care-team/${ID}`, "/api/v1/patients/{id}/care-team/{provider_id}"],
    ["/api/v1/files/v2.c2VjcmV0LXRva2Vu", "/api/v1/files/{token}"],
    ["/api/health/ready", "/api/health/ready"],
    ["/api/v1/patients/", "/api/v1/patients"],
    ["/api/v1/nope/jane.doe@example.com", "/api/{slug...}"],
    ["/docs", "/docs/{path...}"],
    ["/docs/a/b", "/docs/{path...}"],
    ["/_next/static/chunks/app-123.js", "/_next/static"],
    ["/_next/image?url=x", "/_next"],
    ["/wp-login.php", UNMATCHED],
    [`/jane.doe@example.com/${ID}`, UNMATCHED],
  ])("%s → %s", (target, label) => {
    expect(labeler.label(target)).toBe(label);
  });

  it("reads the build's app-path-routes manifest (and has nothing without one)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "carebase-routes-"));
    try {
      expect(loadRoutePatterns(dir)).toEqual([]);
      writeFileSync(
        path.join(dir, "app-path-routes-manifest.json"),
        JSON.stringify({ "/(portal)/patients/[id]/page": "/patients/[id]", "/api/v1/patients/[id]/route": "/api/v1/patients/[id]" }),
      );
      expect(new RouteLabeler(loadRoutePatterns(dir)).label(`/patients/${ID}`)).toBe("/patients/{id}");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
