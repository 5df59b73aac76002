import { type LockProvider, MemoryLockProvider } from "@locks/core";

/** JSON options a child process receives (see the `child` recipe in test/memory.test.ts). */
export interface MemoryRecipeOptions {
  prefix?: string;
}

/**
 * Builds a memory provider. In a child process this gets the child's own store, which is why the
 * memory backend reports `distributed: false` and the cross-process scenarios skip it.
 */
export function createProvider(options: MemoryRecipeOptions = {}): LockProvider {
  return new MemoryLockProvider({ prefix: options.prefix });
}
