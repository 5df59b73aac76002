import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";
import ConformanceSummaryReporter from "./reporters/summary-reporter.js";

/**
 * `@locks/testing` starts real servers (Redis, MySQL, MongoDB) lazily for the backend suites and
 * stops them at the end. Used when it is installed and built (turbo builds it before `test`).
 */
function testServersSetup(): string[] {
  try {
    const entry = createRequire(import.meta.url).resolve("@locks/testing/global-setup");
    return existsSync(entry) ? ["@locks/testing/global-setup"] : [];
  } catch {
    return [];
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: testServersSetup(),
    reporters: ["default", new ConformanceSummaryReporter()],
    // One file per backend: files run in parallel (they use unique keys, and servers are shared),
    // but only two at a time, because the machines this runs on have two cores and the suites
    // measure timing.
    fileParallelism: true,
    maxWorkers: 2,
    // Backstops only: every scenario bounds its own waits (scaled by timeScale) and names what
    // did not happen; contention and fault scenarios set longer limits of their own.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
