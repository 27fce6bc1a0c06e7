import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument, fixRegexFlags, OPERATIONS } from "./document";

const API_DIR = path.join(process.cwd(), "src", "app", "api", "v1");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Every route.ts under src/app/api/v1, as `{ path, methods, file }` (path in OpenAPI form). */
function routeFiles(dir = API_DIR): { path: string; methods: string[]; file: string }[] {
  const out: { path: string; methods: string[]; file: string }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...routeFiles(full));
    else if (entry.name === "route.ts") {
      const source = readFileSync(full, "utf8");
      const methods = METHODS.filter((m) =>
        new RegExp(`export\\s+(const\\s+${m}\\b|(async\\s+)?function\\s+${m}\\b|\\{[^}]*\\b${m}\\b[^}]*\\})`).test(source),
      );
      const rel = path.relative(path.join(process.cwd(), "src", "app"), path.dirname(full)).split(path.sep);
      const apiPath = "/" + rel.filter((s) => !/^\(.*\)$/.test(s)).map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/");
      out.push({ path: apiPath, methods: methods.map((m) => m.toLowerCase()), file: path.relative(process.cwd(), full) });
    }
  }
  return out;
}

describe("the OpenAPI document of the JSON API", () => {
  const doc = buildOpenApiDocument();

  it("is a valid OpenAPI 3.1 document (@apidevtools/swagger-parser)", async () => {
    expect(doc.openapi).toBe("3.1.0");
    // validate() dereferences in place: give it a copy
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it("lists every method of every route file under src/app/api/v1", () => {
    const files = routeFiles();
    expect(files.length).toBeGreaterThan(40);
    const missing: string[] = [];
    for (const f of files) {
      expect(f.methods, `${f.file} exports no HTTP method this test recognises`).not.toEqual([]);
      for (const m of f.methods) {
        if (!doc.paths?.[f.path]?.[m as "get"]) {
          missing.push(
            `${m.toUpperCase()} ${f.path} (${f.file}): add a row to OPERATIONS in src/core/openapi/document.ts, e.g. ` +
              `{ method: "${m}", path: "${f.path}", tag: "…", auth: "user", summary: "…", body: <the zod schema the route parses>, ok: json(200, "…") }`,
          );
        }
      }
    }
    expect(missing, `Routes missing from the OpenAPI document:\n${missing.join("\n")}\n`).toEqual([]);
  });

  it("has no row without a route file and method behind it (a removed or renamed route)", () => {
    const files = new Map(routeFiles().map((f) => [f.path, f.methods]));
    const stale = OPERATIONS.filter((o) => !files.get(o.path)?.includes(o.method)).map(
      (o) => `${o.method.toUpperCase()} ${o.path}: no such route method under src/app/api/v1; remove or fix its row in OPERATIONS (src/core/openapi/document.ts)`,
    );
    expect(stale, stale.join("\n")).toEqual([]);
    const keys = OPERATIONS.map((o) => `${o.method} ${o.path}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i), "a route listed twice").toEqual([]);
  });

  it("takes request bodies and query strings from the routes' zod schemas, and every error is the one shape", () => {
    const visit = doc.paths!["/api/v1/patients/{id}/visits"]!.post!;
    const body = (visit.requestBody as { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> }).content["application/json"].schema;
    expect(body.required).toEqual(expect.arrayContaining(["visit_date", "chief_complaint"]));
    expect(body.properties).toHaveProperty("vitals");
    expect(Object.keys(visit.responses!)).toEqual(expect.arrayContaining(["201", "400", "401", "403", "404", "422"]));
    expect(visit.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
    const params = visit.parameters as { name: string; in: string; required: boolean; schema: { pattern: string } }[];
    expect(params).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
    // the UUID pattern without the regex's /i flag, and case-insensitive as the route is
    expect(new RegExp(params[0].schema.pattern).test("3F2B8C1E-9D4A-4E6B-8F00-1A2B3C4D5E6F")).toBe(true);
    expect(new RegExp(params[0].schema.pattern).test("not-a-uuid")).toBe(false);

    const list = doc.paths!["/api/v1/patients/{id}/messages"]!.get!;
    expect((list.parameters as { name: string; in: string }[]).filter((p) => p.in === "query").map((p) => p.name).length).toBeGreaterThan(0);

    for (const [p, item] of Object.entries(doc.paths!)) {
      for (const [m, op] of Object.entries(item as Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>)) {
        for (const [status, r] of Object.entries(op.responses)) {
          if (Number(status) >= 400) expect(r.content?.["application/json"].schema, `${m} ${p} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
        }
      }
    }
    const error = doc.components!.schemas!.Error as { properties: { error: { required: string[] } } };
    expect(error.properties.error.required).toEqual(["code", "message"]);
    expect(Object.keys(doc.components!.securitySchemes!).sort()).toEqual(["bearerAuth", "cookieAuth", "deviceToken"]);
    // public and path-token routes ask for no scheme; the wearable one for its own
    expect(doc.paths!["/api/v1/auth/token"]!.post!.security).toEqual([]);
    expect(doc.paths!["/api/v1/vitals"]!.post!.security).toEqual([{ deviceToken: [] }]);
  });

  it("drops regex flags from patterns (a zod-to-openapi 9.1 quirk)", () => {
    const node = { a: { pattern: "^[0-9a-f]{2}$/i" }, b: [{ pattern: "^[a-z]+$/u" }], c: { pattern: "^\\d{2}\\/\\d{2}$" } };
    fixRegexFlags(node);
    expect(node).toEqual({ a: { pattern: "^[0-9a-fA-F]{2}$" }, b: [{ pattern: "^[a-z]+$" }], c: { pattern: "^\\d{2}\\/\\d{2}$" } });
  });

  it("is served at GET /api/v1/openapi.json without a session", async () => {
    const { GET } = await import("@/app/api/v1/openapi.json/route");
    const res = await GET(new Request("http://localhost/api/v1/openapi.json"), { params: Promise.resolve({}) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const served = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(served.openapi).toBe("3.1.0");
    expect(Object.keys(served.paths)).toContain("/api/v1/openapi.json");
  });
});
