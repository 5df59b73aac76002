import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Every skipped test and its reason, for `pnpm test`'s summary (scripts/test.mjs).
    reporters: ["default", "../../scripts/skip-reporter.mjs"],
    include: ["test/**/*.test.ts"],
    testTimeout: 10_000,
  },
});
