import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Every skipped test and its reason, for `pnpm test`'s summary (scripts/test.mjs).
    reporters: ["default", "../../scripts/skip-reporter.mjs"],
    include: ["test/**/*.test.ts"],
    // One PostgreSQL server for the whole run, started on first use.
    globalSetup: ["@locks/testing/global-setup"],
    // Files share that server and one of them restarts it: run them one after another.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
