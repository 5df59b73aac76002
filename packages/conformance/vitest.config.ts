import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Every skipped test and its reason, for `pnpm test`'s summary (scripts/test.mjs).
    reporters: ["default", "../../scripts/skip-reporter.mjs"],
    include: ["test/**/*.test.ts"],
    // The proof-of-power test starts its own vitest runs over test/fixtures/; those files are
    // not part of this run.
    exclude: ["test/fixtures/**", "**/node_modules/**"],
    globalSetup: ["test/build-setup.ts"],
    testTimeout: 30_000,
  },
});
