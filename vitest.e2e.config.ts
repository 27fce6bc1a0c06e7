import { defineConfig } from "vitest/config";
import path from "node:path";

/**
 * Browser tests: two files at a time, each with its own production server (own port, own
 * DATA_DIR) and its own Chromium; one build first (global-setup.ts). Most of a file's time is
 * waiting on the server and the browser, so two at once nearly halve the suite's wall time on
 * two cores.
 */
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname, "src") } },
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    fileParallelism: true,
    globalSetup: ["tests/e2e/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // A shared 2-core machine: give the UI time to answer before an expectation fails.
    expect: { poll: { timeout: 20_000, interval: 100 } },
    env: { NEXT_TELEMETRY_DISABLED: "1" },
  },
});
