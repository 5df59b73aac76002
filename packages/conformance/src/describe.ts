import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "./async.js";
import { SuiteContext } from "./context.js";
import { describeError } from "./error-match.js";
import type { DescribeLockProviderOptions } from "./options.js";
import { argumentScenarios } from "./scenarios/arguments.js";
import { basicScenarios } from "./scenarios/basic.js";
import { cancellationScenarios } from "./scenarios/cancellation.js";
import { closeScenarios } from "./scenarios/close.js";
import { contentionScenarios } from "./scenarios/contention.js";
import { crossProcessScenarios } from "./scenarios/cross-process.js";
import { fencingScenarios } from "./scenarios/fencing.js";
import { keyScenarios } from "./scenarios/keys.js";
import { leaseScenarios } from "./scenarios/leases.js";
import { lostLockScenarios } from "./scenarios/lost-lock.js";
import { ownershipScenarios } from "./scenarios/ownership.js";
import { releaseScenarios } from "./scenarios/release.js";
import { timeoutScenarios } from "./scenarios/timeouts.js";
import { tryAcquireScenarios } from "./scenarios/try-acquire.js";
import { wakeUpScenarios } from "./scenarios/wake-up.js";

/**
 * Registers the conformance suite for one provider kind as vitest `describe`/`it` blocks. Call it
 * at the top level of a test file. Every test gets fresh providers from `createProvider` (closed
 * after the test) and unique keys, so suites for several backends may share one server.
 *
 * @example
 * describeLockProvider({ name: "memory", createProvider: (o) => new MemoryLockProvider(o) });
 */
export function describeLockProvider(options: DescribeLockProviderOptions): void {
  const s = new SuiteContext(options);
  describe(s.name, () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => {
      unhandled.push(reason);
    };
    beforeAll(() => {
      process.on("unhandledRejection", onUnhandled);
    });
    afterAll(() => {
      process.off("unhandledRejection", onUnhandled);
    });
    afterEach(() => s.closeAll(), s.ms(30_000));

    basicScenarios(s);
    tryAcquireScenarios(s);
    timeoutScenarios(s);
    cancellationScenarios(s);
    releaseScenarios(s);
    ownershipScenarios(s);
    leaseScenarios(s);
    lostLockScenarios(s);
    fencingScenarios(s);
    keyScenarios(s);
    argumentScenarios(s);
    contentionScenarios(s);
    crossProcessScenarios(s);
    wakeUpScenarios(s);
    closeScenarios(s);

    // Registered last, so it runs after every scenario above.
    it("no unhandled rejections during the whole run", async () => {
      // Rejections are reported after the microtask queue drains; give late ones a moment.
      await sleep(50);
      expect(unhandled.map(describeError), "unhandled rejections").toEqual([]);
    });
  });
}
