import { describe, expect, it } from "vitest";
import { createLockProvider, type LockBackend } from "../src/backend.js";
import { MemoryLockStore } from "../src/index.js";
import { storeBackend } from "./helpers.js";

/**
 * A polling backend whose lease watch reports the first grant lost at once, as when the
 * connection that holds a lock dies between the grant and the handle's creation.
 */
function dyingAtGrant(store: MemoryLockStore): { backend: LockBackend; log: { stopped: number } } {
  const log = { watches: 0, stopped: 0 };
  const backend = storeBackend(store, "dying-at-grant", {
    waitTuning: { minDelay: 5, maxDelay: 20 },
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
  });
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
