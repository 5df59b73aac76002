import { describe, expect, it } from "vitest";
import { type BackendLease, createLockProvider, type LockBackend } from "../src/backend.js";
import { LEASES_ONLY } from "./helpers.js";

/**
 * A backend whose attempts take `attemptMs` and then grant the lock: an attempt still in flight
 * when the wait times out or is cancelled would leave a lock behind unless core cleans it up.
 */
function slowGrantingBackend(attemptMs: number, log: string[]): LockBackend {
  return {
    name: "slow-granting",
    capabilities: LEASES_ONLY,
    tryAcquire(key): Promise<BackendLease | undefined> {
      return new Promise((resolve) =>
        setTimeout(() => {
          log.push("granted");
          resolve({ key, token: "t" });
        }, attemptMs),
      );
    },
    extend: async () => "renewed",
    release: async () => {
      log.push("released");
      return true;
    },
    close: async () => {},
  };
}

describe("an attempt cut short by the deadline or an abort", () => {
  it("a timed-out wait reports only after the late grant was released", async () => {
    const log: string[] = [];
    const provider = createLockProvider(slowGrantingBackend(60, log));
    const result = await provider.getLock("k").tryAcquire({ timeout: 20 });
    log.push("reported");
    expect(result).toBeUndefined();
    expect(log).toEqual(["granted", "released", "reported"]);
    await provider.close();
  });

  it("a cancelled wait rejects only after the late grant was released", async () => {
    const log: string[] = [];
    const provider = createLockProvider(slowGrantingBackend(60, log));
    const controller = new AbortController();
    const reason = new Error("cancelled");
    const waiting = provider
      .getLock("k")
      .acquire({ signal: controller.signal })
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(reason);
    expect(await waiting).toBe(reason);
    log.push("reported");
    expect(log).toEqual(["granted", "released", "reported"]);
    await provider.close();
  });

  it("an attempt that never answers delays the report by a bounded grace only", async () => {
    const log: string[] = [];
    const provider = createLockProvider(slowGrantingBackend(2_000, log));
    const started = performance.now();
    const result = await provider.getLock("k").tryAcquire({ timeout: 20 });
    expect(result).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
    // Grants that still arrive are released then.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const grants = log.filter((entry) => entry === "granted").length;
    expect(grants).toBeGreaterThanOrEqual(1);
    expect(log.filter((entry) => entry === "released").length).toBe(grants);
    await provider.close();
  });
});
