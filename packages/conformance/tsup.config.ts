import { defineConfig } from "tsup";

export default defineConfig({
  // `child` is the entry of the processes forked by the cross-process scenario; it must sit next
  // to the index in dist/ because the parent locates it relative to its own module URL.
  entry: ["src/index.ts", "src/child.ts"],
  // ESM only, deliberately: vitest 4 refuses to be loaded with require() ("Vitest cannot be
  // imported in a CommonJS module"), so a CommonJS build of a vitest suite could never run.
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20",
  external: ["vitest", "tsx"],
});
