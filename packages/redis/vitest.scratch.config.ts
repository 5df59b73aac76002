import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export default defineConfig({
  resolve: {
    alias: {
      "@locks/redis": r("./src/index.ts"),
      "@locks/conformance": r("../conformance/src/index.ts"),
      "@locks/testing": r("../testing/dist/index.js"),
      ioredis6: r("./node_modules/ioredis6/built/index.js"),
      ioredis: r("./node_modules/ioredis/built/index.js"),
    },
  },
  server: { fs: { allow: [r("../..")] } },
  test: {
    root: r("../.."),
    include: [process.env.SCRATCH_FILE ?? "conformance/test/redis-single.test.ts"],
    globalSetup: [r("../testing/dist/global-setup.js")],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
