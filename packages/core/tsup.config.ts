import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/backend.ts", "src/common.ts"],
  format: ["esm", "cjs"],
  // Shared chunks in both formats: the entry points must share one copy of each error class
  // (and of the engine), or `instanceof LockTimeoutError` fails across them under require().
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
