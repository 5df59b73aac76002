import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Starts the test servers once per run (or takes LOCKS_MONGO_URL) and stops them after.
    globalSetup: ["@locks/testing/global-setup"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
