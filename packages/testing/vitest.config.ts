import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Every skipped test and its reason, for `pnpm test`'s summary (scripts/test.mjs).
    reporters: ["default", "../../scripts/skip-reporter.mjs"],
    include: ["test/**/*.test.ts"],
    // Server starts take a second or two locally and several seconds in containers.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Files start their own servers; keep the two-core machine from starting all at once.
    fileParallelism: false,
  },
});
