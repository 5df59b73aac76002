import { afterEach, describe, expect, it } from "vitest";
import { createLockProvider, type LockBackend } from "../src/backend.js";
import { MAX_TIMEOUT, MAX_TTL, MemoryLockProvider, MemoryLockStore } from "../src/index.js";
import { startTimer } from "../src/timers.js";
import { storeBackend } from "./helpers.js";

/** Longest delay one Node timer holds; longer ones fire after 1 ms unless chained. */
const NODE_TIMER_LIMIT = 2 ** 31 - 1;

/** A memory-backed backend that counts its calls, to see renewals and that nothing ran. */
function countingBackend() {
  const store = new MemoryLockStore();
  const calls = { tryAcquire: 0, extend: 0, release: 0 };
  const base = storeBackend(store, "counting");
  const backend: LockBackend = {
    ...base,
    tryAcquire(key, ttl) {
      calls.tryAcquire++;
      return base.tryAcquire(key, ttl);
    },
    extend(lease, ttl) {
      calls.extend++;
      return base.extend(lease, ttl);
    },
    release(lease) {
      calls.release++;
      return base.release(lease);
    },
  };
  return { backend, calls };
}

const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
afterEach(() => {
  process.off("warning", onWarning);
  warnings.length = 0;
});

describe("timeouts above Node's timer limit", () => {
  it("a finite timeout above 2^31-1 ms does not fire early", async () => {
    process.on("warning", onWarning);
    const store = new MemoryLockStore();
    const a = new MemoryLockProvider({ store });
    const b = new MemoryLockProvider({ store });
    const held = await a.getLock("k").acquire();
    const controller = new AbortController();
    let settled: unknown = "pending";
    const waiting = b
      .getLock("k")
      .acquire({ timeout: NODE_TIMER_LIMIT + 1_000, signal: controller.signal })
      .then(
        (h) => h,
        (e: unknown) => {
          settled = e;
          throw e;
        },
      );
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(settled).toBe("pending");
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(warnings.filter((w) => w.name === "TimeoutOverflowWarning")).toEqual([]);
    await held.release();
    await a.close();
    await b.close();
  });

  it("a native blocking wait is handed a finite timeout in pieces a Node timer can hold", async () => {
    const timeouts: number[] = [];
    const backend: LockBackend = {
      name: "blocking",
      capabilities: {
        fencing: false,
        leases: false,
        distributed: true,
        notifications: true,
        fairness: false,
      },
      tryAcquire: async () => undefined,
      acquireBlocking: (_key, _ttl, timeout, signal) => {
        timeouts.push(timeout);
        return new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
      },
      extend: async () => "renewed",
      release: async () => true,
      close: async () => {},
    };
    const provider = createLockProvider(backend);
    const controller = new AbortController();
    const waiting = provider
      .getLock("k")
      .acquire({ timeout: NODE_TIMER_LIMIT * 2, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]).toBeLessThanOrEqual(NODE_TIMER_LIMIT);
    expect(timeouts[0]).toBeGreaterThan(NODE_TIMER_LIMIT - 1_000);
    await provider.close();
  });

  it("a chained timer fires only when its whole delay has passed", async () => {
    let fired = false;
    const timer = startTimer(NODE_TIMER_LIMIT * 3, () => {
      fired = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fired).toBe(false);
    timer.cancel();
    const short = await new Promise<number>((resolve) => {
      const started = performance.now();
      startTimer(30, () => resolve(performance.now() - started));
    });
    expect(short).toBeGreaterThanOrEqual(29);
  });
});

describe("ttls above Node's timer limit", () => {
  it("a ttl above 2^31-1 ms neither renews in a loop nor warns, and the lock stays held", async () => {
    process.on("warning", onWarning);
    const { backend, calls } = countingBackend();
    const provider = createLockProvider(backend);
    // ttl / 3 is above the timer limit too: both the renewal and the expiry timer would overflow.
    const handle = await provider.getLock("k", { ttl: 2 ** 33 }).acquire();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls.extend).toBe(0);
    expect(handle.lost).toBe(false);
    expect(warnings.filter((w) => w.name === "TimeoutOverflowWarning")).toEqual([]);
    await handle.release();
    await provider.close();
  });

  it("the largest accepted ttl is held, and renewal leaves it alone", async () => {
    const { backend, calls } = countingBackend();
    const provider = createLockProvider(backend);
    const handle = await provider.getLock("k", { ttl: MAX_TTL }).acquire();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls.extend).toBe(0);
    expect(handle.lost).toBe(false);
    await handle.extend(MAX_TTL);
    await handle.release();
    await provider.close();
  });
});

describe("numbers are checked against every limit before any I/O", () => {
  it("ttl 1e20 rejects with a RangeError naming ttl, wherever it is given, with no backend call", async () => {
    const { backend, calls } = countingBackend();
    expect(() => createLockProvider(backend, { ttl: 1e20 })).toThrow(/ttl/);
    expect(() => createLockProvider(backend, { ttl: 1e20 })).toThrow(RangeError);
    const provider = createLockProvider(backend);
    expect(() => provider.getLock("k", { ttl: 1e20 })).toThrow(RangeError);
    expect(() => provider.getLock("k", { ttl: MAX_TTL + 1 })).toThrow(/ttl/);
    const handle = await provider.getLock("k").acquire();
    const before = { ...calls };
    await expect(handle.extend(1e20)).rejects.toThrow(RangeError);
    await expect(handle.extend(1e20)).rejects.toThrow(/ttl/);
    expect(calls).toEqual(before);
    await handle.release();
    await provider.close();
  });

  it("a finite timeout above MAX_TIMEOUT rejects with a RangeError naming timeout, with no backend call", async () => {
    const { backend, calls } = countingBackend();
    const provider = createLockProvider(backend);
    const lock = provider.getLock("k");
    await expect(lock.acquire({ timeout: MAX_TIMEOUT * 2 })).rejects.toThrow(RangeError);
    await expect(lock.tryAcquire({ timeout: 1e300 })).rejects.toThrow(/timeout/);
    expect(calls.tryAcquire).toBe(0);
    // Infinity stays the way to wait for ever.
    const handle = await lock.acquire({ timeout: Number.POSITIVE_INFINITY });
    await handle.release();
    await provider.close();
  });
});
