#!/usr/bin/env node
// `npm start` and `npm test` on a fresh clone: installs the locked dependencies first
// (prestart / pretest), so the quick start is those two commands. A no-op when
// node_modules is already installed from the current package-lock.json.
// Plain JavaScript with no dependencies: it runs before there are any.
/* global process, console, URL */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "..");
const installed = path.join(root, "node_modules", ".package-lock.json");
const lock = path.join(root, "package-lock.json");

const upToDate = existsSync(installed) && (!existsSync(lock) || statSync(installed).mtimeMs >= statSync(lock).mtimeMs);
if (!upToDate) {
  console.log("[carebase] installing dependencies (npm install) …");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["install", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
