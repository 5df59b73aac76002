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
 * The order in which files start, on two workers. Without vitest's cache of durations (CI's fresh
 * clone) the largest files start first, and the two small MongoDB files, the slowest, started
 * last and ran on alone at the end. MongoDB on FerretDB (polling; its contention scenarios have
 * the tightest margin under their hang guard) starts first; mongo-java-server, the other file
 * whose server needs much CPU, starts after two Redis files rather than alongside it. With every
 * variant (about 150, 160, 120, 200, 105, 50, 50, 15 s) both workers end near half the total. A file
 * not listed starts first.
 */
const START_ORDER = [
  "mongo",
  "redis-redlock",
  "redis-single",
  "mongo-java",
  "redis-cluster",
  "mysql",
  "postgres",
  "memory",
];

/** Starts the files in {@link START_ORDER}, so that the two workers finish at about the same time. */
class StartOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) =>
      START_ORDER.indexOf(basename(file.moduleId).replace(/\.test\.ts$/, ""));
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: testServersSetup(),
    // The skip reporter records every skipped test and its reason for `pnpm test`'s summary.
    reporters: ["default", new ConformanceSummaryReporter(), "../scripts/skip-reporter.mjs"],
    // One file per backend: files run in parallel (they use unique keys, and servers are shared),
    // but only two at a time, because the machines this runs on have two cores and the suites
    // measure timing.
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: StartOrder },
    // Backstops only: every scenario bounds its own waits (scaled by timeScale) and names what
    // did not happen; contention and fault scenarios set longer limits of their own.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
