import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { type BackendLease, createLockProvider, type LockBackend } from "../src/backend.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Heap in use after full collections, in bytes. */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** A native blocking backend that grants at once (the MySQL path without the server). */
function instantBlockingBackend(): LockBackend {
  return {
    name: "instant-blocking",
    capabilities: {
      fencing: false,
      leases: false,
      distributed: true,
      notifications: true,
      fairness: false,
    },
    validateInterval: 60_000,
    tryAcquire: async (key): Promise<BackendLease | undefined> => ({ key, token: "t" }),
    acquireBlocking: async (key): Promise<BackendLease | undefined> => ({ key, token: "t" }),
    extend: async () => "renewed",
    release: async () => true,
    close: async () => {},
  };
}

/**
 * Acquisitions measured (`LOCKS_HEAP_ACQUIRES` to change it; 150,000 reproduces the report). The
 * leak this guards against kept ~70–110 bytes per call: +15.5 MB for 150,000, +5 MB here.
 */
const ACQUIRES = Number(process.env.LOCKS_HEAP_ACQUIRES ?? 50_000);

describe("acquisitions on the blocking path with one long-lived caller signal", () => {
  it(`retain no memory per call (${ACQUIRES} acquires)`, async () => {
    const provider = createLockProvider(instantBlockingBackend());
    const lock = provider.getLock("k");
    const signal = new AbortController().signal;
    // Warm up: JIT, the provider's queue map, the signal link's WeakMap.
    for (let i = 0; i < 2_000; i++)
      await (await lock.acquire({ signal, timeout: 5_000 })).release();
    const before = await settledHeap();
    for (let i = 0; i < ACQUIRES; i++) {
      await (await lock.acquire({ signal, timeout: 5_000 })).release();
    }
    const after = await settledHeap();
    const growth = after - before;
    console.log(
      `heap after ${ACQUIRES} blocking acquires: ${(growth / 1e6).toFixed(2)} MB (${(growth / ACQUIRES).toFixed(1)} B/acquire)`,
    );
    // A per-call record of ~70 bytes or more would exceed this; GC noise stays well below it.
    expect(growth).toBeLessThan(ACQUIRES * 30);
    await provider.close();
  }, 120_000);
});
