import { afterEach, describe, expect, it } from "vitest";
import { MemoryLockProvider, MemoryLockStore } from "../src/index.js";

describe("many concurrent waiters on one provider", () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  afterEach(() => {
    process.off("warning", onWarning);
  });

  it("emit no MaxListenersExceededWarning", async () => {
    process.on("warning", onWarning);
    const locks = new MemoryLockProvider({ store: new MemoryLockStore() });
    const held = await locks.getLock("k").acquire();
    const waits = Array.from({ length: 32 }, () => locks.getLock("k").acquire({ timeout: 5_000 }));
    const keys = Array.from({ length: 32 }, (_, i) => locks.getLock(`p${i}`).acquire());
    await Promise.all(keys.map(async (h) => (await h).release()));
    await held.release();
    for (const wait of waits) await (await wait).release();
    await locks.close();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });
});
