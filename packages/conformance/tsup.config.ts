import { defineConfig } from "tsup";

export default defineConfig({
  // `child`, `paused-child` and `queued-child-entry` are the entries of the processes forked by
  // the cross-process, paused-holder and fairness scenarios; they must sit next to the index in dist/ because the parent locates
  // them relative to its own module URL.
  entry: ["src/index.ts", "src/child.ts", "src/paused-child.ts", "src/queued-child-entry.ts"],
  // ESM only, deliberately: vitest 4 refuses to be loaded with require() ("Vitest cannot be
  // imported in a CommonJS module"), so a CommonJS build of a vitest suite could never run.
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20",
  external: ["vitest", "tsx"],
});
