import { describe, expect, it } from "vitest";
import { type BackendLease, createLockProvider } from "../src/backend.js";
import { LockLostError, MemoryLockProvider, MemoryLockStore } from "../src/index.js";
import { storeBackend } from "./helpers.js";

/** Blocks the event loop for `ms` (a GC pause, CPU-bound code, a SIGSTOP of the process). */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

/**
 * A memory-backed backend whose first `stalls` attempts are answered only after the event loop
 * stalled past `stallMs`: the grant is on the wire while the process stands still.
 */
function stallingBackend(store: MemoryLockStore, stallMs: number, stalls: number) {
  const log = { attempts: 0, releases: 0 };
  const backend = storeBackend(store, "stalling", {
    waitTuning: { minDelay: 5, maxDelay: 20 },
    async tryAcquire(key, ttl): Promise<BackendLease | undefined> {
      const granted = store.tryAcquire(key, ttl);
      if (log.attempts++ < stalls) {
        // The answer arrives after the stall (the request went out before it).
        await Promise.resolve();
        stall(stallMs);
      }
      return granted && { key, ...granted };
    },
    async release(lease) {
      log.releases++;
      return store.release(lease.key, lease.token);
    },
  });
  return { backend, log };
}

describe("a handle never claims a lease past its known deadline", () => {
  it("acquire() does not resolve a grant whose lease ended while its answer was on the wire; it tries again", async () => {
    const store = new MemoryLockStore();
    const { backend, log } = stallingBackend(store, 120, 1);
    const provider = createLockProvider(backend);
    const handle = await provider.getLock("k", { ttl: 80 }).acquire({ timeout: 5_000 });
    // The first grant was given back and a second attempt made the handle.
    expect(log.attempts).toBe(2);
    expect(log.releases).toBe(1);
    expect(handle.lost).toBe(false);
    await handle.release();
    await provider.close();
  });

  it("tryAcquire() resolves undefined for a grant whose lease already ended, and gives it back", async () => {
    const store = new MemoryLockStore();
    const { backend, log } = stallingBackend(store, 120, 1);
    const provider = createLockProvider(backend);
    const other = new MemoryLockProvider({ store });
    const handle = await provider.getLock("k", { ttl: 80 }).tryAcquire();
    expect(handle).toBeUndefined();
    expect(log.releases).toBe(1);
    // Another node may hold the key meanwhile; the first provider must not believe it does.
    const next = await other.getLock("k").tryAcquire();
    expect(next).toBeDefined();
    await next?.release();
    await provider.close();
    await other.close();
  });

  it("lost and signal report the loss when read right after a stall past the lease, before any timer ran", async () => {
    const locks = new MemoryLockProvider({ store: new MemoryLockStore() });
    const a = await locks.getLock("a", { ttl: 60, autoExtend: false }).acquire();
    const b = await locks.getLock("b", { ttl: 60, autoExtend: false }).acquire();
    stall(100);
    // Synchronously after the stall: no timers phase has run yet.
    expect(a.lost).toBe(true);
    expect(b.signal.aborted).toBe(true);
    expect(b.signal.reason).toBeInstanceOf(LockLostError);
    await expect(a.extend()).rejects.toBeInstanceOf(LockLostError);
    await a.release();
    await b.release();
    await locks.close();
  });
});
