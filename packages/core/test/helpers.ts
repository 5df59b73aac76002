import { MemoryLockStore } from "../src/index.js";
import { MemoryLockProvider } from "../src/memory-provider.js";

/** A provider on its own store, so tests never see each other's locks. */
export function isolatedProviders(count: number, options: { ttl?: number } = {}) {
  const store = new MemoryLockStore();
  const providers = Array.from(
    { length: count },
    () => new MemoryLockProvider({ store, ...options }),
  );
  return { store, providers };
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener("abort", () => resolve(signal.reason), { once: true });
  });
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
