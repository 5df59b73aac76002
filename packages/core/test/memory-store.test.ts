import { afterEach, describe, expect, it } from "vitest";
import { MemoryLockProvider, MemoryLockStore } from "../src/index.js";

/** Keys that name events with a meaning of their own on a Node `EventEmitter`. */
const EMITTER_NAMES = ["error", "newListener", "removeListener"];

describe("the memory store never uses keys as event names", () => {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  afterEach(() => {
    process.off("uncaughtException", onUncaught);
  });

  it('a lease of the key "error" expires without an uncaught ERR_UNHANDLED_ERROR, and release() of it resolves', async () => {
    process.on("uncaughtException", onUncaught);
    const store = new MemoryLockStore();
    for (const key of EMITTER_NAMES) {
      const granted = store.tryAcquire(key, 20);
      expect(granted, key).toBeDefined();
    }
    // Past the expiry timers (ttl + 1 ms).
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(uncaught).toEqual([]);
    for (const key of EMITTER_NAMES) expect(store.isLocked(key), key).toBe(false);

    const held = store.tryAcquire("error", 10_000)!;
    expect(store.release("error", held.token)).toBe(true);
    expect(uncaught).toEqual([]);
  });

  it('a waiter on the key "newListener" is not woken by other subscriptions', () => {
    const store = new MemoryLockStore();
    let wakeUps = 0;
    const stop = store.onReleased("newListener", () => wakeUps++);
    const others = ["a", "b", "c"].map((key) => store.onReleased(key, () => {}));
    expect(wakeUps).toBe(0);
    for (const off of others) off();
    stop();
  });

  it("release wake-ups reach the subscribers of that key only, and stop after unsubscribing", () => {
    const store = new MemoryLockStore();
    const woken: string[] = [];
    const stopError = store.onReleased("error", () => woken.push("error"));
    store.onReleased("other", () => woken.push("other"));
    const held = store.tryAcquire("error", 10_000)!;
    store.release("error", held.token);
    expect(woken).toEqual(["error"]);
    stopError();
    const again = store.tryAcquire("error", 10_000)!;
    store.release("error", again.token);
    expect(woken).toEqual(["error"]);
  });

  it('a provider holding "error" past its lease reports it lost, and the process survives', async () => {
    process.on("uncaughtException", onUncaught);
    const locks = new MemoryLockProvider({ store: new MemoryLockStore() });
    const handle = await locks.getLock("error", { ttl: 20, autoExtend: false }).acquire();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(handle.lost).toBe(true);
    await handle.release();
    expect(uncaught).toEqual([]);
    await locks.close();
  });
});
