#!/usr/bin/env node
// `npm start`: the production server as plain JavaScript (no tsx). Builds what is missing
// first: the pages (`next build`) and the compiled server (scripts/build-server.mjs), so the
// quick start stays one command on a fresh clone. Runs the server in this process, so that
// signals (SIGTERM: drain) reach it. docs/production-server.md.
/* global process, console */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
const distDir = path.join(root, process.env.NEXT_DIST_DIR || ".next");
const buildId = path.join(distDir, "BUILD_ID");
const server = path.join(distDir, "carebase-server", "server.mjs");

function run(args, what) {
  console.log(`[carebase] ${what} …`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } });
  if (r.status !== 0) {
    console.error(`[carebase] ${what} failed; see above.`);
    process.exit(r.status ?? 1);
  }
}

if (!existsSync(buildId)) run([path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], "no production build found: running `next build` once (about a minute)");
if (!existsSync(server) || statSync(server).mtimeMs < statSync(buildId).mtimeMs) run([path.join(root, "scripts", "build-server.mjs")], "compiling the server");
process.chdir(root);
await import(pathToFileURL(server).href);
