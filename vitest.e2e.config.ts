import { defineConfig } from "vitest/config";
import path from "node:path";

/** Browser tests: one file at a time (they share one built server per file and a real Chromium). */
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname, "src") } },
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // A shared 2-core machine: give the UI time to answer before an expectation fails.
    expect: { poll: { timeout: 20_000, interval: 100 } },
    env: { NEXT_TELEMETRY_DISABLED: "1" },
  },
});
