import diagnosticsChannel from "node:diagnostics_channel";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BackendLease,
  backendKey,
  createLockProvider,
  type ExtendResult,
  type LockBackend,
} from "../src/backend.js";
import {
  channels,
  LockBackendError,
  LockLostError,
  type MemoryLockProvider,
} from "../src/index.js";
import { aborted, delay, isolatedProviders } from "./helpers.js";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on("unhandledRejection", onUnhandled));
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
});

let open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.map((p) => p.close()));
  open = [];
});
function setup(count = 2, options?: { ttl?: number }): MemoryLockProvider[] {
  const { providers } = isolatedProviders(count, options);
  open.push(...providers);
  return providers;
}

describe("leases", () => {
  it("auto-extension keeps a lock past several ttls", async () => {
    const [a, b] = setup();
    // Renewals run every ttl/3 (200 ms), so a renewal must be 400 ms late before the lease can run
    // out; three ttls later the lease has been renewed several times (or the check fails).
    const handle = await a!.getLock("k", { ttl: 600 }).acquire();
    await delay(1_800);
    expect(handle.lost).toBe(false);
    expect(await b!.getLock("k").tryAcquire()).toBeUndefined();
    await handle.release();
  });

  it("without auto-extension the lease expires, the signal aborts and another node takes over", async () => {
    const [a, b] = setup();
    const handle = await a!.getLock("k", { ttl: 100, autoExtend: false }).acquire();
    const reason = await aborted(handle.signal);
    expect(reason).toBeInstanceOf(LockLostError);
    expect(handle.lost).toBe(true);
    const next = await b!.getLock("k").acquire({ timeout: 1_000 });
    expect(next.fencingToken).toBe(2n);
    await expect(handle.extend()).rejects.toBeInstanceOf(LockLostError);
    await handle.release(); // a stale release must not free the new holder's lock
    expect(await a!.getLock("k").tryAcquire()).toBeUndefined();
    await next.release();
  });

  it("extend(ttl) renews the lease for the given length", async () => {
    const [a, b] = setup();
    const handle = await a!.getLock("k", { ttl: 100, autoExtend: false }).acquire();
    // Checked at 300 ms: three times past the original ttl, 700 ms inside the extended one, so
    // only a renewal explains a held lock, and a stall of up to 700 ms cannot fail the check.
    await handle.extend(1_000);
    await delay(300);
    expect(handle.lost).toBe(false);
    expect(await b!.getLock("k").tryAcquire()).toBeUndefined();
    await expect(handle.extend(-1)).rejects.toThrow(RangeError);
    await handle.release();
    await expect(handle.extend()).rejects.toBeInstanceOf(LockLostError);
  });

  it("reports a lock broken behind the holder's back at the next renewal", async () => {
    const { store, providers } = isolatedProviders(1);
    open.push(...providers);
    const handle = await providers[0]!.getLock("k", { ttl: 90 }).acquire();
    store.breakLock(backendKey("", "k"));
    const reason = await aborted(handle.signal);
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as LockLostError).key).toBe("k");
  });

  it("fencing tokens grow across release, expiry and takeover", async () => {
    const [a, b] = setup();
    const tokens: bigint[] = [];
    const first = await a!.getLock("k").acquire();
    tokens.push(first.fencingToken!);
    await first.release();
    const second = await b!.getLock("k", { ttl: 60, autoExtend: false }).acquire();
    tokens.push(second.fencingToken!);
    const third = await a!.getLock("k").acquire({ timeout: 1_000 }); // after expiry
    tokens.push(third.fencingToken!);
    await third.release();
    expect(tokens).toEqual([1n, 2n, 3n]);
  });
});

/** A backend whose operations can be made to hang or fail, to test races and error paths. */
class ControlledBackend implements LockBackend {
  readonly name = "controlled";
  readonly capabilities = {
    fencing: false,
    leases: true,
    distributed: true,
    notifications: false,
    fairness: false,
  };
  readonly waitTuning = { minDelay: 5, maxDelay: 20 };
  holder: string | undefined;
  extendCalls = 0;
  failExtend = false;
  extendGate: Promise<void> | undefined;
  acquireGate: Promise<void> | undefined;
  releases = 0;
  private seq = 0;

  async tryAcquire(key: string): Promise<BackendLease | undefined> {
    await this.acquireGate;
    if (this.holder) return undefined;
    this.holder = `t${++this.seq}`;
    return { key, token: this.holder };
  }
  async extend(lease: BackendLease): Promise<ExtendResult> {
    this.extendCalls++;
    await this.extendGate;
    if (this.failExtend) throw new Error("connection reset");
    return this.holder === lease.token ? "renewed" : "lost";
  }
  async release(lease: BackendLease): Promise<boolean> {
    this.releases++;
    if (this.holder !== lease.token) return false;
    this.holder = undefined;
    return true;
  }
  async close(): Promise<void> {}
}

describe("renewal machinery", () => {
  it("renewal is single-flight and a release waits for an in-flight renewal", async () => {
    const backend = new ControlledBackend();
    const provider = createLockProvider(backend, { ttl: 60 });
    open.push(provider);
    const handle = await provider.getLock("k").acquire();
    let open_!: () => void;
    backend.extendGate = new Promise((resolve) => {
      open_ = resolve;
    });
    await delay(100); // several renewal periods pass while the first renewal hangs
    expect(backend.extendCalls).toBe(1);
    const releasing = handle.release();
    await delay(10);
    expect(backend.releases).toBe(0);
    open_();
    await releasing;
    expect(backend.releases).toBe(1);
    expect(backend.holder).toBeUndefined();
  });

  it("failed renewals never throw from a timer; the lock is lost when the lease runs out", async () => {
    const backend = new ControlledBackend();
    // The first renewal runs at ttl/3 (500 ms) and its retry about ttl/3 later (1,000 ms), so the
    // retry reaches the backend before the deadline (1,500 ms) unless timers run 500 ms late.
    const provider = createLockProvider(backend, { ttl: 1_500 });
    open.push(provider);
    const handle = await provider.getLock("k").acquire();
    backend.failExtend = true;
    const reason = await aborted(handle.signal);
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as Error).message).toMatch(/expired/); // the deadline, not a renewal, ended it
    expect(backend.extendCalls).toBeGreaterThan(1); // it retried before giving up
    await expect(handle.extend()).rejects.toBeInstanceOf(LockLostError);
  });

  it("a manual extend that fails on the backend rejects with LockBackendError", async () => {
    const backend = new ControlledBackend();
    const provider = createLockProvider(backend, { ttl: 10_000 });
    open.push(provider);
    const handle = await provider.getLock("k").acquire();
    backend.failExtend = true;
    const error = await handle.extend().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBackendError);
    expect((error as LockBackendError).cause).toBeInstanceOf(Error);
    expect(handle.lost).toBe(false);
    backend.failExtend = false;
    await handle.release();
  });

  it("a lease granted after the wait was aborted is released, not leaked", async () => {
    const backend = new ControlledBackend();
    const provider = createLockProvider(backend);
    open.push(provider);
    let open_!: () => void;
    backend.acquireGate = new Promise((resolve) => {
      open_ = resolve;
    });
    const controller = new AbortController();
    const waiting = provider.getLock("k").acquire({ signal: controller.signal });
    await delay(10);
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    open_();
    await delay(10);
    expect(backend.holder).toBeUndefined();
    expect(backend.releases).toBe(1);
  });

  it("an acquisition that hangs on the backend still honours its timeout", async () => {
    const backend = new ControlledBackend();
    backend.acquireGate = new Promise(() => {});
    const provider = createLockProvider(backend);
    open.push(provider);
    const started = performance.now();
    await expect(provider.getLock("k").acquire({ timeout: 100 })).rejects.toThrow(/Timed out/);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("diagnostics", () => {
  it("publishes acquire start/end, extend, release and lost", async () => {
    const seen: string[] = [];
    const subscribers = Object.entries(channels).map(([name, channel]) => {
      const fn = (message: unknown) => {
        if ((message as { key?: string }).key === "diag") seen.push(name);
      };
      diagnosticsChannel.subscribe(channel, fn);
      return () => diagnosticsChannel.unsubscribe(channel, fn);
    });
    try {
      const { store, providers } = isolatedProviders(1);
      open.push(...providers);
      const handle = await providers[0]!.getLock("diag", { ttl: 1_000 }).acquire();
      await handle.extend();
      await handle.release();
      const second = await providers[0]!.getLock("diag", { ttl: 60 }).acquire();
      store.breakLock(backendKey("", "diag"));
      await aborted(second.signal);
      expect(seen).toEqual([
        "acquireStart",
        "acquireEnd",
        "extend",
        "release",
        "acquireStart",
        "acquireEnd",
        "extend",
        "lost",
      ]);
    } finally {
      for (const unsubscribe of subscribers) unsubscribe();
    }
  });
});
