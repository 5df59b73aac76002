import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { LockProvider } from "@locks/core";
import type { ChildProviderRecipe } from "./options.js";

/** Resolves the recipe's module: absolute paths and file URLs as is, bare names from the cwd. */
function moduleUrl(specifier: string): string {
  if (specifier.startsWith("file:")) return specifier;
  if (isAbsolute(specifier)) return pathToFileURL(specifier).href;
  try {
    return pathToFileURL(createRequire(join(process.cwd(), "noop.js")).resolve(specifier)).href;
  } catch {
    return specifier;
  }
}

/**
 * Loads the factory a {@link ChildProviderRecipe} names, in a child process: registers `tsx` first
 * for a TypeScript module (an optional peer dependency), then imports the module.
 */
export async function loadRecipe(
  recipe: ChildProviderRecipe,
): Promise<() => Promise<LockProvider>> {
  const url = moduleUrl(recipe.module);
  if (/\.[cm]?tsx?$/.test(url)) {
    const tsx = await import("tsx/esm/api");
    tsx.register();
  }
  const mod = (await import(url)) as Record<string, unknown>;
  const exportName = recipe.exportName ?? "createProvider";
  const factory = mod[exportName];
  if (typeof factory !== "function") {
    throw new TypeError(`${recipe.module} has no exported function "${exportName}"`);
  }
  return async () => (factory as (options: unknown) => LockProvider)(recipe.options);
}
