import { defineConfig, type Options } from "tsup";

/**
 * The build of a published `@locks` package: ESM and CommonJS with their own type files, for
 * Node 20. Both formats share chunks between the entry points (`splitting`), so that the entries
 * of one package (e.g. `@locks/core` and `@locks/core/backend`, or a provider and its `/faults`)
 * share one copy of each module, and so one identity for each class, under `require()` too.
 */
export function packageBuild(entry: string[], options: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    splitting: true,
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    ...options,
  });
}
