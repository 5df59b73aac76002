import { defineConfig } from "tsup";

export default defineConfig({
  // `child` is the entry of the processes forked by the cross-process scenario; it must sit next
  // to the index in dist/ because the parent locates it relative to its own module URL.
  entry: ["src/index.ts", "src/child.ts"],
  format: ["esm", "cjs"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  shims: true,
  target: "node20",
  external: ["vitest", "tsx"],
});
