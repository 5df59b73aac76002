import { describe, expect, it } from "vitest";
import { type BackendLease, createLockProvider, type LockBackend } from "../src/backend.js";
import { MemoryLockStore } from "../src/index.js";

/**
 * A polling backend whose lease watch reports the first grant lost at once, as when the
 * connection that holds a lock dies between the grant and the handle's creation.
 */
function dyingAtGrant(store: MemoryLockStore) {
  const log = { watches: 0, stopped: 0 };
  const backend: LockBackend = {
    name: "dying-at-grant",
    capabilities: {
      fencing: true,
      leases: true,
      distributed: false,
      notifications: false,
      fairness: false,
    },
    waitTuning: { minDelay: 5, maxDelay: 20 },
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
    watchLease(lease, onLost) {
      log.watches++;
      if (log.watches === 1) {
        store.release(lease.key, lease.token); // the server let go with the connection
        onLost("the connection holding the lock closed");
      }
      return () => {
        log.stopped++;
      };
    },
    close: async () => {},
  };
  return { backend, log };
}

describe("a lease lost while its handle is being made", () => {
  it("yields a lost handle and leaves the key free for the provider's next acquire", async () => {
    const store = new MemoryLockStore();
    const { backend, log } = dyingAtGrant(store);
    const provider = createLockProvider(backend);
    const lock = provider.getLock("k", { ttl: 5_000 });
    const first = await lock.acquire({ timeout: 1_000 });
    expect(first.lost).toBe(true);
    expect(first.signal.aborted).toBe(true);
    // The watch that reported the loss was stopped too.
    expect(log.stopped).toBe(1);
    // The provider does not count the key as its own: the next wait asks the backend and wins.
    const second = await lock.acquire({ timeout: 1_000 });
    expect(second.lost).toBe(false);
    await second.release();
    await first.release();
    await provider.close();
  });
});
