import type { BackendLease, LockBackend } from "../src/backend.js";
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

/** Capabilities of a networked backend with leases and nothing else, for scripted test backends. */
export const LEASES_ONLY = {
  fencing: false,
  leases: true,
  distributed: true,
  notifications: false,
  fairness: false,
} as const;

/**
 * A backend over a {@link MemoryLockStore} with local leases and fencing, for tests of core's
 * engine against a backend that behaves in one chosen way: `overrides` replaces any member.
 */
export function storeBackend(
  store: MemoryLockStore,
  name: string,
  overrides: Partial<LockBackend> = {},
): LockBackend {
  return {
    name,
    capabilities: {
      fencing: true,
      leases: true,
      distributed: false,
      notifications: false,
      fairness: false,
    },
    async tryAcquire(key, ttl): Promise<BackendLease | undefined> {
      const granted = store.tryAcquire(key, ttl);
      return granted && { key, ...granted };
    },
    async extend(lease, ttl) {
      return store.extend(lease.key, lease.token, ttl) ? "renewed" : "lost";
    },
    async release(lease) {
      return store.release(lease.key, lease.token);
    },
    close: async () => {},
    ...overrides,
  };
}
