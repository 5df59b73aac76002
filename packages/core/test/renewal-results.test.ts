import diagnosticsChannel from "node:diagnostics_channel";
import { describe, expect, it } from "vitest";
import {
  type BackendLease,
  createLockProvider,
  type ExtendResult,
  type LockBackend,
} from "../src/backend.js";
import { channels, LockLostError, type ReleaseMessage } from "../src/index.js";
import { aborted, LEASES_ONLY } from "./helpers.js";

/** A backend whose renewals answer whatever `answer` says, counting the calls. */
type ScriptedBackend = LockBackend & { extends: number; releaseAnswer: boolean };

function scriptedBackend(answer: () => ExtendResult | Promise<ExtendResult>): ScriptedBackend {
  const backend: ScriptedBackend = {
    name: "scripted",
    capabilities: LEASES_ONLY,
    extends: 0,
    releaseAnswer: true,
    tryAcquire: async (key: string): Promise<BackendLease | undefined> => ({ key, token: "t" }),
    async extend(): Promise<ExtendResult> {
      backend.extends++;
      return answer();
    },
    release: async () => backend.releaseAnswer,
    close: async () => {},
  };
  return backend;
}

describe("renewal results", () => {
  it('"lost" marks the handle lost at the first renewal', async () => {
    const backend = scriptedBackend(() => "lost");
    const provider = createLockProvider(backend);
    const handle = await provider.getLock("k", { ttl: 1_500 }).acquire();
    const reason = await aborted(handle.signal);
    expect(reason).toBeInstanceOf(LockLostError);
    // The first renewal runs at ttl/3 (500 ms), 1 s before the lease would run out: the loss
    // comes from the renewal's answer, not from the deadline passing.
    expect((reason as Error).message).toMatch(/no longer held/);
    expect(backend.extends).toBe(1);
    await provider.close();
  });

  it('"unknown" retries until the lease\'s deadline, and only then reports the loss', async () => {
    const backend = scriptedBackend(() => "unknown");
    const provider = createLockProvider(backend);
    const ttl = 1_200;
    // Taken before the call: the lease's deadline is the call's send time + ttl, so the loss may
    // not come earlier than ttl after this (2 ms: timers may fire a millisecond early).
    const started = performance.now();
    const handle = await provider.getLock("k", { ttl }).acquire();
    // 600 ms: after the first renewal (400 ms) said "unknown", 600 ms before the deadline.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(handle.lost).toBe(false);
    const reason = await aborted(handle.signal);
    expect((reason as Error).message).toMatch(/expired/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(ttl - 2);
    expect(backend.extends).toBeGreaterThanOrEqual(2);
    await provider.close();
  });

  it('a manual extend answered "unknown" rejects LockBackendError and keeps the lock', async () => {
    const backend = scriptedBackend(() => "unknown");
    const provider = createLockProvider(backend);
    const handle = await provider.getLock("k", { ttl: 5_000, autoExtend: false }).acquire();
    await expect(handle.extend()).rejects.toMatchObject({ name: "LockBackendError" });
    expect(handle.lost).toBe(false);
    await provider.close();
  });

  it("the release event says whether the backend still held the lease", async () => {
    const backend = scriptedBackend(() => "renewed");
    const provider = createLockProvider(backend);
    const seen: ReleaseMessage[] = [];
    const listener = (message: unknown) => seen.push(message as ReleaseMessage);
    diagnosticsChannel.subscribe(channels.release, listener);
    try {
      await (await provider.getLock("held").acquire()).release();
      backend.releaseAnswer = false;
      await (await provider.getLock("expired").acquire()).release();
    } finally {
      diagnosticsChannel.unsubscribe(channels.release, listener);
    }
    expect(seen.map((m) => [m.key, m.stillHeld])).toEqual([
      ["held", true],
      ["expired", false],
    ]);
    await provider.close();
  });
});

describe("a lease granted for less than the ttl (a hand-over lease)", () => {
  /** A backend granting leases valid for `validity` ms, recording when each renewal was sent. */
  function shortLeases(validity: number) {
    const renewedAt: number[] = [];
    const backend: LockBackend = {
      name: "short",
      capabilities: LEASES_ONLY,
      tryAcquire: async (key: string): Promise<BackendLease> => ({ key, token: "t", validity }),
      async extend(): Promise<ExtendResult> {
        renewedAt.push(performance.now());
        return "renewed";
      },
      release: async () => true,
      close: async () => {},
    };
    return { backend, renewedAt };
  }

  it("is renewed once a third of its validity has passed, not a third of the ttl", async () => {
    const { backend, renewedAt } = shortLeases(600);
    const provider = createLockProvider(backend);
    const started = performance.now();
    const handle = await provider.getLock("k", { ttl: 30_000 }).acquire();
    await new Promise((resolve) => setTimeout(resolve, 700));
    // Without the rule the first renewal would come at 10 s and the handle be lost at 600 ms.
    expect(handle.lost).toBe(false);
    expect(renewedAt.length).toBe(1);
    expect(renewedAt[0]! - started).toBeGreaterThanOrEqual(198);
    expect(renewedAt[0]! - started).toBeLessThan(500);
    await handle.release();
    await provider.close();
  });

  it("without automatic renewal, is renewed to the ttl once, at once", async () => {
    const { backend, renewedAt } = shortLeases(600);
    const provider = createLockProvider(backend);
    const started = performance.now();
    const handle = await provider.getLock("k", { ttl: 30_000, autoExtend: false }).acquire();
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(handle.lost).toBe(false);
    expect(renewedAt.length).toBe(1);
    expect(renewedAt[0]! - started).toBeLessThan(150);
    await handle.release();
    await provider.close();
  });

  it("without automatic renewal, a lease of at least half the ttl is not renewed", async () => {
    const { backend, renewedAt } = shortLeases(800);
    const provider = createLockProvider(backend);
    const handle = await provider.getLock("k", { ttl: 1_000, autoExtend: false }).acquire();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(renewedAt.length).toBe(0);
    await handle.release();
    await provider.close();
  });
});
