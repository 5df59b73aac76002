import { describe, expect, it } from "vitest";
import {
  type BackendLease,
  createLockProvider,
  isTransientNetworkError,
  type LockBackend,
} from "../src/backend.js";
import { LockBackendError, LockTimeoutError } from "../src/index.js";
import { LEASES_ONLY } from "./helpers.js";

/** A Node-style socket error, as drivers report a dropped connection. */
function socketError(code: string): Error {
  return Object.assign(new Error(`read ${code}`), { code });
}

/** A polling backend whose attempts fail with `failures` in turn, then grant. */
function flakyBackend(
  failures: unknown[],
  extra: Partial<LockBackend> = {},
): LockBackend & {
  attempts: number;
} {
  const backend = {
    name: "flaky",
    capabilities: LEASES_ONLY,
    waitTuning: { minDelay: 5, maxDelay: 20 },
    attempts: 0,
    async tryAcquire(key: string): Promise<BackendLease | undefined> {
      const failure = failures[backend.attempts++];
      if (failure !== undefined) throw failure;
      return { key, token: "t" };
    },
    extend: async () => "renewed" as const,
    release: async () => true,
    close: async () => {},
    ...extra,
  };
  return backend;
}

describe("transient errors during a wait", () => {
  it("the default treats Node socket error codes as transient, also as a cause", () => {
    expect(isTransientNetworkError(socketError("ECONNRESET"))).toBe(true);
    expect(isTransientNetworkError(new Error("wrapped", { cause: socketError("EPIPE") }))).toBe(
      true,
    );
    expect(isTransientNetworkError(new Error("Access denied"))).toBe(false);
    expect(isTransientNetworkError("ECONNRESET")).toBe(false);
  });

  it("a polling wait with time left retries after connection errors and is granted", async () => {
    const backend = flakyBackend([socketError("ECONNRESET"), socketError("ECONNREFUSED")]);
    const provider = createLockProvider(backend);
    const handle = await provider.getLock("k").acquire({ timeout: 2_000 });
    expect(backend.attempts).toBe(3);
    await handle.release();
    await provider.close();
  });

  it("an error retrying cannot fix ends the wait at once", async () => {
    const backend = flakyBackend([new Error("NOAUTH Authentication required")]);
    const provider = createLockProvider(backend);
    const outcome = await provider
      .getLock("k")
      .acquire({ timeout: 2_000 })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(LockBackendError);
    expect(backend.attempts).toBe(1);
    await provider.close();
  });

  it("the backend's isRetryable decides, instead of the default", async () => {
    const lost = Object.assign(new Error("Connection lost"), { fatal: true });
    const backend = flakyBackend([lost], { isRetryable: (e) => e === lost });
    const provider = createLockProvider(backend);
    const handle = await provider.getLock("k").acquire({ timeout: 2_000 });
    expect(backend.attempts).toBe(2);
    await handle.release();
    await provider.close();
  });

  it("a wait whose time runs out while the backend fails rejects LockTimeoutError with the last error as cause", async () => {
    const errors = Array.from({ length: 1_000 }, (_, i) =>
      socketError(i % 2 ? "EPIPE" : "ECONNRESET"),
    );
    const backend = flakyBackend(errors);
    const provider = createLockProvider(backend);
    const started = performance.now();
    const outcome = await provider
      .getLock("k")
      .acquire({ timeout: 150 })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(LockTimeoutError);
    expect((outcome as LockTimeoutError).cause).toBe(errors[backend.attempts - 1]);
    expect(backend.attempts).toBeGreaterThan(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await provider.close();
  });

  it("timeout 0 makes one attempt: its error is reported, not retried", async () => {
    const backend = flakyBackend([socketError("ECONNRESET")]);
    const provider = createLockProvider(backend);
    await expect(provider.getLock("k").tryAcquire()).rejects.toBeInstanceOf(LockBackendError);
    expect(backend.attempts).toBe(1);
    await provider.close();
  });

  it("a native blocking wait that fails transiently is retried with the time left", async () => {
    const timeouts: number[] = [];
    let calls = 0;
    const backend = flakyBackend([], {
      tryAcquire: async () => undefined,
      async acquireBlocking(key, _ttl, timeout): Promise<BackendLease | undefined> {
        timeouts.push(timeout);
        if (calls++ < 2) throw socketError("ECONNRESET");
        return { key, token: "t" };
      },
    });
    const provider = createLockProvider(backend);
    const handle = await provider.getLock("k").acquire({ timeout: 5_000 });
    expect(calls).toBe(3);
    expect(timeouts[2]!).toBeLessThan(timeouts[0]!);
    expect(timeouts[2]!).toBeGreaterThan(4_000);
    await handle.release();
    await provider.close();
  });

  it("a native blocking wait whose time runs out after transient errors rejects LockTimeoutError with the cause", async () => {
    const error = socketError("ETIMEDOUT");
    const backend = flakyBackend([], {
      tryAcquire: async () => undefined,
      acquireBlocking: async () => {
        throw error;
      },
    });
    const provider = createLockProvider(backend);
    const outcome = await provider
      .getLock("k")
      .acquire({ timeout: 100 })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(LockTimeoutError);
    expect((outcome as LockTimeoutError).cause).toBe(error);
    await provider.close();
  });
});
