import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * `npm run demo` on an empty embedded database: the clinic, its documents (blobs in the
 * object store, encrypted) and a second run that only resets the demo passwords.
 */

const ROOT = process.cwd();
const dataDir = mkdtempSync(path.join(os.tmpdir(), "carebase-demo-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function demo() {
  return spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), ["scripts/demo.ts"], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", CAREBASE_SECRET: "", DEMO_PATIENTS: "4", LOG_LEVEL: "warn" },
    encoding: "utf8",
    timeout: 120_000,
  });
}

function objectFiles(): string[] {
  const root = path.join(dataDir, "objects");
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe("npm run demo", () => {
  it("creates the clinic with sign-in details, a wearable and stored lab reports", () => {
    const r = demo();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Demo clinic created (4 patients)");
    expect(r.stdout).toMatch(/password: demo-/);
    expect(r.stdout).toContain("simulate:wearable -- --token ");
    // one lab report per patient (the first 12 get one), stored encrypted: no PDF header on disk
    const files = objectFiles();
    expect(files).toHaveLength(4);
    for (const f of files) {
      expect(path.relative(path.join(dataDir, "objects"), f)).toMatch(/^[0-9a-f-]{36}\/[0-9a-f-]{36}\.cbe$/);
      const bytes = readFileSync(f);
      expect(bytes.includes("%PDF")).toBe(false);
      expect(bytes.includes("Laboratory")).toBe(false);
    }
  });

  it("runs again without duplicating anything", () => {
    const r = demo();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("already exists");
    expect(objectFiles()).toHaveLength(4);
  });
});
