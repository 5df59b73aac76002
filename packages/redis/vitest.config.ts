import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Every skipped test and its reason, for `pnpm test`'s summary (scripts/test.mjs).
    reporters: ["default", "../../scripts/skip-reporter.mjs"],
    globalSetup: ["@locks/testing/global-setup"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
