import { describe, expect, it } from "vitest";
import { type BackendLease, createLockProvider, type LockBackend } from "../src/backend.js";
import { MemoryLockStore } from "../src/index.js";
import { storeBackend } from "./helpers.js";

/** A backend that answers after a network-like delay. */
function slowBackend(store: MemoryLockStore, ms: number): LockBackend {
  const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
  return storeBackend(store, "slow", {
    async tryAcquire(key, ttl): Promise<BackendLease | undefined> {
      const granted = store.tryAcquire(key, ttl);
      return later(granted && { key, ...granted });
    },
    extend: (lease, ttl) =>
      later(store.extend(lease.key, lease.token, ttl) ? ("renewed" as const) : ("lost" as const)),
    release: (lease) => later(store.release(lease.key, lease.token)),
  });
}

describe("a backend that answers over the network", () => {
  it("tryAcquire (timeout 0) waits for the one attempt's answer", async () => {
    const store = new MemoryLockStore();
    const a = createLockProvider(slowBackend(store, 20));
    const b = createLockProvider(slowBackend(store, 20));
    const held = await a.getLock("k").tryAcquire();
    expect(held).toBeDefined();
    expect(await b.getLock("k").tryAcquire()).toBeUndefined();
    await held!.release();
    const next = await b.getLock("k").tryAcquire({ timeout: 0 });
    expect(next).toBeDefined();
    await next!.release();
    await a.close();
    await b.close();
  });
});
