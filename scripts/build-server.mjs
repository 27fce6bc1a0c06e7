#!/usr/bin/env node
// Compiles the production server to plain JavaScript: server.ts, the core it imports, and
// every route module the light router serves (src/app/api/**/route.ts, src/app/fhir/**/route.ts),
// into <NEXT_DIST_DIR or .next>/carebase-server/server.mjs, so `npm start` runs node without tsx
// (docs/production-server.md). Runs after `next build` (npm run build), which empties the
// folder's parent first, so a server bundle never outlives the pages it was built with.
// Plain JavaScript: it runs before anything is compiled.
/* global process, console */
import { build } from "esbuild";
import { existsSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const distDir = path.join(root, process.env.NEXT_DIST_DIR || ".next");
export const outdir = path.join(distDir, "carebase-server");

/** Every route.ts below `dir`, as the router names it: `/api/v1/patients/[id]/route`. */
function routeEntries(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...routeEntries(full));
    else if (e.name === "route.ts") out.push(full);
  }
  return out;
}

const appDir = path.join(root, "src", "app");
const routes = [...routeEntries(path.join(appDir, "api")), ...routeEntries(path.join(appDir, "fhir"))].sort();
const lines = routes.map((file) => {
  const entry = "/" + path.relative(appDir, file).split(path.sep).join("/").replace(/\.ts$/, "");
  return `  ${JSON.stringify(entry)}: () => import(${JSON.stringify(file)}),`;
});
// The router asks this map for its route modules (server.ts); each is a chunk of its own.
const entrySource = `globalThis.__carebaseRouteModules = {\n${lines.join("\n")}\n};\nawait import(${JSON.stringify(path.join(root, "server.ts"))});\n`;

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const entryFile = path.join(outdir, "entry-source.ts");
writeFileSync(entryFile, entrySource);
await build({
  entryPoints: { server: entryFile },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir,
  outExtension: { ".js": ".mjs" }, // ES modules whatever package.json says (it has no "type")
  packages: "external", // node_modules stay where they are, loaded by node as usual
  tsconfig: path.join(root, "tsconfig.json"), // the @/ paths
  logLevel: "warning",
});
rmSync(entryFile);
console.log(`[carebase] server compiled: ${path.relative(root, path.join(outdir, "server.mjs"))} (${routes.length} route modules)`);
