import { describe, expect, it } from "vitest";
import { type BackendLease, createLockProvider, type LockBackend } from "../src/backend.js";

/**
 * A backend with a native blocking wait whose cancellation takes `stopMs` to reach the server
 * (like MySQL's `KILL QUERY`): until then, a release would still be granted to the waiter.
 */
function blockingBackend(stopMs: number, log: string[]): LockBackend {
  return {
    name: "blocking",
    capabilities: {
      fencing: false,
      leases: false,
      distributed: true,
      notifications: true,
      fairness: true,
    },
    tryAcquire: async () => undefined,
    acquireBlocking(_key, _ttl, _timeout, signal): Promise<BackendLease | undefined> {
      return new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          setTimeout(() => {
            log.push("server-side wait stopped");
            reject(signal.reason);
          }, stopMs);
        });
      });
    },
    extend: async () => "renewed",
    release: async () => true,
    close: async () => {},
  };
}

describe("a backend with a native blocking wait", () => {
  it("an aborted wait rejects once the backend stopped it (within the grace period)", async () => {
    const log: string[] = [];
    const provider = createLockProvider(blockingBackend(30, log));
    const controller = new AbortController();
    const reason = new Error("cancelled");
    const waiting = provider
      .getLock("k")
      .acquire({ signal: controller.signal })
      .catch((error: unknown) => {
        log.push("rejected");
        return error;
      });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(reason);
    expect(await waiting).toBe(reason);
    expect(log).toEqual(["server-side wait stopped", "rejected"]);
    await provider.close();
  });

  it("an aborted wait still rejects promptly when the backend never stops", async () => {
    const provider = createLockProvider(blockingBackend(60_000, []));
    const controller = new AbortController();
    const reason = new Error("cancelled");
    const waiting = provider.getLock("k").acquire({ signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const started = performance.now();
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_000);
    await provider.close();
  });
});
