import type { BackendLease, ExtendResult, LockBackend, WaiterEntry } from "./lock-backend.js";
import { BackendLockProvider, type LockProviderOptions } from "./lock-provider.js";
import { MemoryLockStore } from "./memory-store.js";

/** Options of {@link MemoryLockProvider}. */
export interface MemoryLockProviderOptions extends LockProviderOptions {
  /** Where lock state lives. Default: {@link MemoryLockStore.default}, shared by the whole process. */
  store?: MemoryLockStore;
}

class MemoryBackend implements LockBackend {
  readonly name = "memory";
  readonly capabilities = {
    fencing: true,
    leases: true,
    distributed: false,
    notifications: true,
    fairness: true,
  } as const;
  readonly waitTuning = { minDelay: 50, maxDelay: 1_000 };

  constructor(readonly store: MemoryLockStore) {}

  async tryAcquire(
    key: string,
    ttl: number,
    waiter?: WaiterEntry,
  ): Promise<BackendLease | undefined> {
    const granted = this.store.tryAcquire(key, ttl, waiter);
    return granted && { key, ...granted };
  }

  async extend(lease: BackendLease, ttl: number): Promise<ExtendResult> {
    return this.store.extend(lease.key, lease.token, ttl) ? "renewed" : "lost";
  }

  async release(lease: BackendLease): Promise<boolean> {
    return this.store.release(lease.key, lease.token);
  }

  async leaveQueue(key: string, waiterId: string): Promise<void> {
    this.store.leaveQueue(key, waiterId);
  }

  async onReleased(key: string, listener: (next?: string) => void): Promise<() => void> {
    return this.store.onReleased(key, listener);
  }

  async close(): Promise<void> {}
}

/**
 * Locks within one process: the embedded default for examples, tests and single-node apps.
 * Implements the whole contract, fencing tokens and lease expiry included.
 *
 * @example
 * const locks = new MemoryLockProvider();
 * await using handle = await locks.getLock("report").acquire({ timeout: 1_000 });
 */
export class MemoryLockProvider extends BackendLockProvider {
  /** The store this provider uses. */
  readonly store: MemoryLockStore;

  constructor(options: MemoryLockProviderOptions = {}) {
    const store = options.store ?? MemoryLockStore.default;
    if (!(store instanceof MemoryLockStore)) throw new TypeError("store must be a MemoryLockStore");
    super(new MemoryBackend(store), options);
    this.store = store;
  }
}
