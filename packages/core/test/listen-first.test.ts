import { describe, expect, it } from "vitest";
import { type BackendLease, createLockProvider, type LockBackend } from "../src/backend.js";
import { backendKey } from "../src/backend-key.js";
import type { LockHandle, LockProvider } from "../src/index.js";
import { RecentContention } from "../src/recent-contention.js";
import { delay, LEASES_ONLY } from "./helpers.js";

/**
 * A fair backend that logs, in order, each waiter's attempt and each subscription, and whose key
 * is held until `free()` (which also notifies the listeners). `onAttempt` runs inside an attempt,
 * after the backend has decided, as a release that lands between an attempt and its answer would.
 */
/** The lock's name in a backend key of a provider without a prefix (`"0:k"` → `"k"`). */
const name = (key: string) => key.slice("0:".length);

function loggingBackend() {
  const held = new Set<string>();
  const listeners = new Set<(next?: string) => void>();
  const events: string[] = [];
  const keyOf = (lock: string) => backendKey("", lock);
  let onAttempt: (() => void) | undefined;
  const backend: LockBackend = {
    name: "logging",
    capabilities: { ...LEASES_ONLY, notifications: true, fairness: true },
    waitTuning: { minDelay: 2, maxDelay: 4 },
    async tryAcquire(key, _ttl, waiter): Promise<BackendLease | undefined> {
      events.push(`attempt ${name(key)}`);
      const free = !held.has(key);
      if (free) held.add(key);
      if (waiter && !free) onAttempt?.();
      return free ? { key, token: "t" } : undefined;
    },
    async onReleased(key, listener) {
      events.push(`subscribe ${name(key)}`);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    // Followed: core attempts only when woken or to refresh its entry (not within these tests).
    followsQueue: () => true,
    leaveQueue: async () => {},
    extend: async () => "renewed",
    release: async (lease) => held.delete(lease.key),
    close: async () => {},
  };
  return {
    backend,
    events,
    hold: (lock: string) => held.add(keyOf(lock)),
    free(lock: string) {
      held.delete(keyOf(lock));
      for (const listener of [...listeners]) listener();
    },
    set onAttempt(fn: (() => void) | undefined) {
      onAttempt = fn;
    },
  };
}

const options = { wait: { queueEntryTtl: 60_000 } };

/**
 * A provider whose wait for "k" found it taken (held elsewhere until freed), so that "k" counts
 * as contended lately; resolves with the handle that wait then got.
 */
async function afterContention(b: ReturnType<typeof loggingBackend>, provider: LockProvider) {
  b.hold("k");
  const first = provider.getLock("k").acquire();
  await delay(10);
  b.free("k");
  return first;
}

describe("a wait on a key this provider found taken lately", () => {
  it("listens before its first attempt, and so attempts once before it sleeps", async () => {
    const b = loggingBackend();
    const provider = createLockProvider(b.backend, options);
    b.hold("k");
    const first = provider.getLock("k").acquire();
    await delay(30);
    // A key not seen taken before: attempt, listen, and attempt again (a release between the
    // first attempt and the subscription would be missed otherwise).
    expect(b.events).toEqual(["attempt k", "subscribe k", "attempt k"]);
    b.free("k");
    await (await first).release();

    b.events.length = 0;
    b.hold("k");
    const second = provider.getLock("k").acquire();
    await delay(30);
    expect(b.events).toEqual(["subscribe k", "attempt k"]);
    b.free("k");
    await (await second).release();
    expect(b.events).toEqual(["subscribe k", "attempt k", "attempt k"]);
    await provider.close();
  });

  it("does not miss a release that lands during that single attempt", async () => {
    const b = loggingBackend();
    const provider = createLockProvider(b.backend, options);
    await (await afterContention(b, provider)).release();

    b.hold("k");
    // The key is released (and the listeners told) after the attempt found it taken, before
    // its answer: the wait must attempt again at once, not at its entry's next refresh (20 s).
    b.onAttempt = () => {
      b.onAttempt = undefined;
      b.free("k");
    };
    const started = performance.now();
    const second = await provider.getLock("k").acquire();
    expect(performance.now() - started).toBeLessThan(1_000);
    await second.release();
    await provider.close();
  });

  it("attempts first when it starts while its own provider holds the key", async () => {
    const b = loggingBackend();
    const provider = createLockProvider(b.backend, options);
    const held = await afterContention(b, provider);
    b.events.length = 0;
    const second = provider.getLock("k").acquire();
    await delay(10);
    expect(b.events).toEqual([]); // it waits for the local release, without asking the backend
    await held.release();
    await (await second).release();
    // After a local release the key is most likely free: no subscription before the attempt.
    expect(b.events).toEqual(["attempt k"]);
    await provider.close();
  });

  it("still attempts first on a key it has not found taken (no subscription for a free key)", async () => {
    const b = loggingBackend();
    const provider = createLockProvider(b.backend, options);
    b.hold("busy");
    const waiting = provider.getLock("busy").acquire();
    await delay(10);
    await (await provider.getLock("free").acquire()).release();
    expect(b.events.filter((event) => event.endsWith(" free"))).toEqual(["attempt free"]);
    b.free("busy");
    await (await waiting).release();
    await provider.close();
  });
  it("starts after the callbacks already due: a timer due with the one that started it runs first", async () => {
    const b = loggingBackend();
    const provider = createLockProvider(b.backend, options);
    await (await afterContention(b, provider)).release();
    b.hold("k");
    b.events.length = 0;
    // Two timers due together run in one turn of the event loop, one after the other, with the
    // promise jobs of the first in between: a wait that ran its setup and first request there
    // would delay the second (in a process where another caller holds the key, that can be the
    // end of its critical section and its release).
    let second: Promise<LockHandle> | undefined;
    const seenBySecondTimer = await new Promise<string[]>((resolve) => {
      setTimeout(() => {
        second = provider.getLock("k").acquire();
      }, 5);
      setTimeout(() => resolve([...b.events]), 5);
    });
    expect(seenBySecondTimer).toEqual([]);
    await delay(10);
    expect(b.events).toEqual(["subscribe k", "attempt k"]);
    b.free("k");
    await (await second!).release();
    await provider.close();
  });

  it("on a key not found taken, still asks the backend before timers due with it", async () => {
    const b = loggingBackend();
    const provider = createLockProvider(b.backend, options);
    const seenBySecondTimer = await new Promise<string[]>((resolve) => {
      setTimeout(() => {
        void provider
          .getLock("fresh")
          .acquire()
          .then((handle) => handle.release());
      }, 5);
      setTimeout(() => resolve([...b.events]), 5);
    });
    expect(seenBySecondTimer).toEqual(["attempt fresh"]);
    await delay(10);
    await provider.close();
  });
});

describe("RecentContention", () => {
  it("remembers a key for its window", async () => {
    const recent = new RecentContention(50, 10);
    expect(recent.has("a")).toBe(false);
    recent.note("a");
    expect(recent.has("a")).toBe(true);
    await delay(80);
    expect(recent.has("a")).toBe(false);
  });

  it("keeps at most its capacity, forgetting the least recently contended first", () => {
    const recent = new RecentContention(60_000, 3);
    for (const key of ["a", "b", "c"]) recent.note(key);
    recent.note("a"); // contended again: now the most recent
    recent.note("d");
    expect(recent.size).toBe(3);
    expect(["a", "b", "c", "d"].filter((key) => recent.has(key))).toEqual(["a", "c", "d"]);
  });

  it("drops expired keys as new ones are noted", async () => {
    const recent = new RecentContention(30, 100);
    for (let i = 0; i < 50; i++) recent.note(`old ${i}`);
    await delay(50);
    recent.note("new");
    expect(recent.size).toBe(1);
  });
});
