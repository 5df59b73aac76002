import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryLockProvider, MemoryLockStore } from "../src/index.js";

describe("many waiters sharing one caller AbortSignal", () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  afterEach(() => {
    process.off("warning", onWarning);
    warnings.length = 0;
  });

  it("emit no MaxListenersExceededWarning, keep one listener on it, and all end on abort", async () => {
    process.on("warning", onWarning);
    const store = new MemoryLockStore();
    const providers = Array.from({ length: 3 }, () => new MemoryLockProvider({ store }));
    const held = await providers[0]!.getLock("k").acquire();
    const controller = new AbortController();
    const waits = providers.flatMap((p) =>
      Array.from({ length: 8 }, () =>
        p
          .getLock("k")
          .acquire({ timeout: 10_000, signal: controller.signal })
          .catch((e: unknown) => e),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(getEventListeners(controller.signal, "abort").length).toBeLessThanOrEqual(1);
    const reason = new Error("stop waiting");
    controller.abort(reason);
    for (const outcome of await Promise.all(waits)) expect(outcome).toBe(reason);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    await held.release();
    for (const p of providers) await p.close();
  });

  it("leaves no listener on a long-lived signal once its acquisitions ended", async () => {
    const locks = new MemoryLockProvider({ store: new MemoryLockStore() });
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i++) {
      const handle = await locks.getLock(`k${i % 3}`).acquire({ signal, timeout: 1_000 });
      await handle.release();
    }
    const held = await locks.getLock("w").acquire();
    const waiting = locks.getLock("w").acquire({ signal, timeout: 30 });
    await expect(waiting).rejects.toMatchObject({ name: "LockTimeoutError" });
    await held.release();
    expect(getEventListeners(signal, "abort")).toEqual([]);
    await locks.close();
  });
});
