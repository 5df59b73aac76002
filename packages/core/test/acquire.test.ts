import { afterEach, describe, expect, it } from "vitest";
import { backendKey } from "../src/backend.js";
import {
  InvalidLockKeyError,
  LockProviderClosedError,
  LockTimeoutError,
  type MemoryLockProvider,
  withLock,
} from "../src/index.js";
import { delay, isolatedProviders } from "./helpers.js";

let open: MemoryLockProvider[] = [];
afterEach(async () => {
  await Promise.all(open.map((p) => p.close()));
  open = [];
});
function setup(count = 2, options?: { ttl?: number }) {
  const result = isolatedProviders(count, options);
  open.push(...result.providers);
  return result;
}

describe("timeouts", () => {
  it("timeout 0 makes one attempt and tryAcquire resolves undefined", async () => {
    const {
      providers: [a, b],
    } = setup();
    const held = await a!.getLock("k").acquire();
    const started = performance.now();
    expect(await b!.getLock("k").tryAcquire()).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(50);
    await expect(b!.getLock("k").acquire({ timeout: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    await held.release();
  });

  it("a finite timeout rejects with LockTimeoutError after about that long", async () => {
    const {
      providers: [a, b],
    } = setup();
    await a!.getLock("k").acquire();
    const started = performance.now();
    const error = await b!
      .getLock("k")
      .acquire({ timeout: 150 })
      .catch((e: unknown) => e);
    const waited = performance.now() - started;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).key).toBe("k");
    expect(waited).toBeGreaterThanOrEqual(145);
    expect(waited).toBeLessThan(1_000);
  });

  it("an infinite wait is granted when the holder releases", async () => {
    const {
      providers: [a, b],
    } = setup();
    const held = await a!.getLock("k").acquire();
    const waiting = b!.getLock("k").acquire();
    await delay(30);
    await held.release();
    const next = await waiting;
    expect(next.fencingToken).toBe(2n);
    await next.release();
  });
});

describe("cancellation", () => {
  it("an already aborted signal rejects with its reason before any attempt", async () => {
    const {
      store,
      providers: [a],
    } = setup(1);
    const reason = new Error("stop");
    await expect(a!.getLock("k").acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(store.isLocked(backendKey("", "k"))).toBe(false);
  });

  it("aborting during a wait rejects promptly with signal.reason and leaves nothing behind", async () => {
    const {
      store,
      providers: [a, b],
    } = setup();
    const held = await a!.getLock("k").acquire();
    const controller = new AbortController();
    const waiting = b!.getLock("k").acquire({ signal: controller.signal });
    await delay(20);
    const started = performance.now();
    const reason = new Error("cancelled");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(50);
    await held.release();
    expect(store.isLocked(backendKey("", "k"))).toBe(false);
    // The cancelled waiter is gone from the queue: a new waiter is served at once.
    const next = await b!.getLock("k").acquire({ timeout: 100 });
    await next.release();
  });

  it("aborting after the grant does not cancel the lock", async () => {
    const {
      providers: [a],
    } = setup(1);
    const controller = new AbortController();
    const handle = await a!.getLock("k").acquire({ signal: controller.signal });
    controller.abort();
    expect(handle.lost).toBe(false);
    expect(handle.signal.aborted).toBe(false);
    await handle.release();
  });
});

describe("local queue", () => {
  it("serves same-provider waiters in FIFO order and hands off on local release", async () => {
    const {
      providers: [a],
    } = setup(1);
    const first = await a!.getLock("k").acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      a!
        .getLock("k")
        .acquire()
        .then(async (h) => {
          order.push(n);
          await h.release();
        }),
    );
    await delay(20);
    await first.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it("is not reentrant: a second acquire from the same provider waits", async () => {
    const {
      providers: [a],
    } = setup(1);
    const held = await a!.getLock("k").acquire();
    expect(await a!.getLock("k").tryAcquire()).toBeUndefined();
    await expect(a!.getLock("k").acquire({ timeout: 50 })).rejects.toBeInstanceOf(LockTimeoutError);
    await held.release();
  });
});

describe("validation", () => {
  it("rejects bad keys before any I/O", () => {
    const {
      providers: [a],
    } = setup(1);
    expect(() => a!.getLock("")).toThrow(InvalidLockKeyError);
    expect(() => a!.getLock(42 as unknown as string)).toThrow(InvalidLockKeyError);
    expect(() => a!.getLock("x".repeat(1025))).toThrow(InvalidLockKeyError);
    expect(() => a!.getLock("\ud800")).toThrow(InvalidLockKeyError);
    expect(a!.getLock("é".repeat(512)).key).toHaveLength(512); // 1024 bytes exactly
  });

  it("rejects bad ttl, timeout and signal with errors naming the argument", async () => {
    const {
      providers: [a],
    } = setup(1);
    expect(() => a!.getLock("k", { ttl: -1 })).toThrow(/ttl/);
    expect(() => a!.getLock("k", { ttl: Number.NaN })).toThrow(RangeError);
    expect(() => a!.getLock("k", { ttl: "5" as unknown as number })).toThrow(TypeError);
    expect(() => a!.getLock("k", { autoExtend: 1 as unknown as boolean })).toThrow(/autoExtend/);
    await expect(a!.getLock("k").acquire({ timeout: -5 })).rejects.toThrow(RangeError);
    await expect(a!.getLock("k").acquire({ timeout: Number.NaN })).rejects.toThrow(/timeout/);
    await expect(a!.getLock("k").acquire({ signal: {} as unknown as AbortSignal })).rejects.toThrow(
      TypeError,
    );
  });
});

describe("close", () => {
  it("rejects pending waits, marks held handles lost and frees their keys", async () => {
    const {
      store,
      providers: [a, b],
    } = setup();
    const held = await a!.getLock("k").acquire();
    const waiting = a!.getLock("k").acquire();
    await a!.close();
    await expect(waiting).rejects.toBeInstanceOf(LockProviderClosedError);
    expect(held.lost).toBe(true);
    expect(store.isLocked(backendKey("", "k"))).toBe(false);
    const next = await b!.getLock("k").tryAcquire();
    expect(next).toBeDefined();
    await next!.release();
    await held.release(); // still idempotent after close
    await a!.close(); // idempotent
    expect(() => a!.getLock("k")).toThrow(LockProviderClosedError);
  });
});

describe("withLock", () => {
  it("releases when the function throws", async () => {
    const {
      store,
      providers: [a],
    } = setup(1);
    await expect(
      withLock(a!.getLock("k"), async () => {
        expect(store.isLocked(backendKey("", "k"))).toBe(true);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(store.isLocked(backendKey("", "k"))).toBe(false);
  });

  it("supports await using", async () => {
    const {
      store,
      providers: [a],
    } = setup(1);
    {
      await using handle = await a!.getLock("k").acquire();
      expect(handle.key).toBe("k");
      expect(store.isLocked(backendKey("", "k"))).toBe(true);
    }
    expect(store.isLocked(backendKey("", "k"))).toBe(false);
  });
});
