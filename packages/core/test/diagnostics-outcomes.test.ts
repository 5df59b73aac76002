/**
 * The documented `locks:extend`, `locks:acquire:end` and `locks:release` payloads for a backend
 * that fails: outcomes and fields the conformance suite cannot reach with a healthy provider.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import {
  type BackendLease,
  createLockProvider,
  type ExtendResult,
  type LockBackend,
} from "../src/backend.js";
import { channels, LockBackendError, type LockProvider } from "../src/index.js";
import { LEASES_ONLY } from "./helpers.js";

/** A backend whose calls do what the test sets: answer, or throw. */
interface FailingBackend extends LockBackend {
  extendWith: () => Promise<ExtendResult>;
  acquireWith: () => Promise<BackendLease | undefined>;
  releaseWith: () => Promise<boolean>;
}

function failingBackend(): FailingBackend {
  const backend: FailingBackend = {
    name: "failing",
    capabilities: LEASES_ONLY,
    extendWith: async () => "renewed",
    acquireWith: async () => ({ key: "k", token: "t" }),
    releaseWith: async () => true,
    tryAcquire: () => backend.acquireWith(),
    extend: () => backend.extendWith(),
    release: () => backend.releaseWith(),
    // Nothing a wait could ride out: the first error ends it.
    isRetryable: () => false,
    close: async () => {},
  };
  return backend;
}

/** Messages of `channel` for key `"k"`, until the test ends. */
function recorded(channel: string): Record<string, unknown>[] {
  const seen: Record<string, unknown>[] = [];
  const listener = (message: unknown) => {
    const m = message as Record<string, unknown>;
    if (m.key === "k") seen.push(m);
  };
  diagnosticsChannel.subscribe(channel, listener);
  cleanups.push(() => diagnosticsChannel.unsubscribe(channel, listener));
  return seen;
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function provider(backend: FailingBackend): LockProvider {
  const created = createLockProvider(backend);
  cleanups.push(() => created.close());
  return created;
}

describe("diagnostics of a failing backend", () => {
  it('extend publishes outcome "lost", "unknown" and "error" (with the error) as the backend answers', async () => {
    const backend = failingBackend();
    const extended = recorded(channels.extend);
    const failure = new Error("connection reset");
    const locks = provider(backend);
    const answers: Array<() => Promise<ExtendResult>> = [
      async () => "unknown",
      async () => {
        throw failure;
      },
      async () => "lost",
    ];
    const handle = await locks.getLock("k", { ttl: 60_000, autoExtend: false }).acquire();
    for (const answer of answers) {
      backend.extendWith = answer;
      await handle.extend(5_000).catch(() => {});
    }
    expect(extended.map(({ outcome, automatic, ttl }) => ({ outcome, automatic, ttl }))).toEqual([
      { outcome: "unknown", automatic: false, ttl: 5_000 },
      { outcome: "error", automatic: false, ttl: 5_000 },
      { outcome: "lost", automatic: false, ttl: 5_000 },
    ]);
    expect(extended[0]!.error).toBeUndefined();
    expect(extended[1]!.error).toBe(failure);
    expect(extended.every((m) => m.backend === "failing")).toBe(true);
  });

  it('acquire:end publishes outcome "error" with the error when the backend fails', async () => {
    const backend = failingBackend();
    const ends = recorded(channels.acquireEnd);
    const failure = new Error("authentication failed");
    backend.acquireWith = async () => {
      throw failure;
    };
    const outcome = await provider(backend)
      .getLock("k")
      .acquire({ timeout: 1_000 })
      .catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(LockBackendError);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ key: "k", backend: "failing", outcome: "error" });
    expect(typeof ends[0]!.waitedMs).toBe("number");
    // The event carries the backend's error, which the rejection wraps as its cause.
    expect(ends[0]!.error).toBe(failure);
    expect((outcome as LockBackendError).cause).toBe(failure);
  });

  it("release publishes stillHeld undefined when the release failed", async () => {
    const backend = failingBackend();
    const releases = recorded(channels.release);
    backend.releaseWith = async () => {
      throw new Error("connection reset");
    };
    const handle = await provider(backend)
      .getLock("k", { ttl: 60_000, autoExtend: false })
      .acquire();
    await expect(handle.release()).rejects.toBeInstanceOf(LockBackendError);
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ key: "k", backend: "failing", stillHeld: undefined });
    expect(releases[0]!.heldMs).toBeGreaterThanOrEqual(0);
  });
});
