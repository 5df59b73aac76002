import { describe, expect, it } from "vitest";
import { type BackendLease, createLockProvider, type LockBackend } from "../src/backend.js";
import { delay, LEASES_ONLY } from "./helpers.js";

/**
 * A fair backend whose key stays held until `free()`: it counts the waiter's attempts and keeps
 * the `onReleased` listener, so a test can wake the waiter itself. `follows` answers
 * `followsQueue`.
 */
function heldFairBackend(follows: boolean) {
  let held = true;
  let wake: ((next?: string) => void) | undefined;
  const attempts: number[] = [];
  const started = performance.now();
  const backend: LockBackend = {
    name: "held-fair",
    capabilities: { ...LEASES_ONLY, fairness: true },
    waitTuning: { minDelay: 2, maxDelay: 4 },
    async tryAcquire(key, _ttl, waiter): Promise<BackendLease | undefined> {
      if (waiter) attempts.push(performance.now() - started);
      return held ? undefined : { key, token: "t" };
    },
    async onReleased(_key, listener) {
      wake = listener;
      return () => {
        wake = undefined;
      };
    },
    followsQueue: () => follows,
    leaveQueue: async () => {},
    extend: async () => "renewed",
    release: async () => true,
    close: async () => {},
  };
  return {
    backend,
    attempts,
    free() {
      held = false;
      wake?.();
    },
  };
}

describe("a wait whose backend follows the queue for it (followsQueue)", () => {
  it("attempts only when woken, or to refresh its entry (a third of its ttl)", async () => {
    const { backend, attempts, free } = heldFairBackend(true);
    const provider = createLockProvider(backend, { wait: { queueEntryTtl: 300 } });
    const waiting = provider.getLock("k").acquire();
    await delay(350);
    // The first attempt, then one refresh every 100 ms: no backoff attempts (2–4 ms apart).
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThanOrEqual(5);
    const before = attempts.length;
    const freedAt = performance.now();
    free();
    const handle = await waiting;
    // Woken at once: the grant does not wait for the next refresh.
    expect(performance.now() - freedAt).toBeLessThan(80);
    expect(attempts.length).toBe(before + 1);
    await handle.release();
    await provider.close();
  });

  it("keeps core's backoff when the backend does not follow the queue", async () => {
    const { backend, attempts, free } = heldFairBackend(false);
    const provider = createLockProvider(backend, { wait: { queueEntryTtl: 300 } });
    const waiting = provider.getLock("k").acquire();
    await delay(350);
    expect(attempts.length).toBeGreaterThan(20);
    free();
    await (await waiting).release();
    await provider.close();
  });
});
