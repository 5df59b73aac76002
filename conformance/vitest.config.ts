import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
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

/**
 * The files, slowest first (measured: MongoDB on FerretDB polls and, like mongo-java-server, runs
 * longest; memory is quickest). Without this, a run without vitest's cache of durations (CI's
 * fresh clone) starts the largest files first, and the two small MongoDB files, the slowest,
 * started last and ran on alone at the end. A file not listed starts first.
 */
const SLOWEST_FIRST = [
  "mongo",
  "mongo-java",
  "redis-redlock",
  "redis-single",
  "redis-cluster",
  "mysql",
  "postgres",
  "memory",
];

/** Starts the slowest files first, so that the two workers finish at about the same time. */
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) =>
      SLOWEST_FIRST.indexOf(basename(file.moduleId).replace(/\.test\.ts$/, ""));
    return [...files].sort((a, b) => rank(a) - rank(b));
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
    sequence: { sequencer: SlowestFirst },
    // Backstops only: every scenario bounds its own waits (scaled by timeScale) and names what
    // did not happen; contention and fault scenarios set longer limits of their own.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
