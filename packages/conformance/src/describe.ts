import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sleep, yieldTurn } from "./async.js";
import { SuiteContext } from "./context.js";
import type { DescribeLockProviderOptions } from "./options.js";
import { describeProcessErrors, ProcessErrorWatch } from "./process-errors.js";
import { SCENARIO_GROUPS } from "./scenarios/index.js";
import { SKIP } from "./skip-reasons.js";

/** The closing check; it runs whatever `options.scenarios` selects. */
const BETWEEN_SCENARIOS = "no uncaught exceptions or unhandled rejections between scenarios";

/**
 * Registers the conformance suite for one provider kind as vitest `describe`/`it` blocks. Call it
 * at the top level of a test file. Every test gets fresh providers from `createProvider` (closed
 * after the test) and unique keys, so suites for several backends may share one server, except
 * while one runs `restartBackend` or `pauseBackend`, which stop the server for every suite on it.
 *
 * Every scenario is also judged on what it left unhandled: an uncaught exception (e.g. a driver's
 * `'error'` event without a listener) or an unhandled rejection reported while the scenario ran,
 * its providers' `close()` included, fails that scenario.
 *
 * @example
 * describeLockProvider({ name: "memory", createProvider: (o) => new MemoryLockProvider(o) });
 */
export function describeLockProvider(options: DescribeLockProviderOptions): void {
  const s = new SuiteContext(options);
  describe(s.name, () => {
    const watch = new ProcessErrorWatch();
    beforeAll(() => watch.start());
    afterAll(() => watch.stop());
    const runs = (name: string) => name === BETWEEN_SCENARIOS || s.selects(name);
    beforeEach((ctx) => {
      // Not selected: nothing to attribute, so what surfaces now counts as between scenarios.
      if (!runs(ctx.task.name)) ctx.skip(SKIP.notSelected);
      watch.begin(ctx.task.name);
    });
    afterEach(async (ctx) => {
      if (!runs(ctx.task.name)) return;
      try {
        await s.closeAll();
      } finally {
        // Rejections are reported once the microtask queue drains, socket errors on the next
        // turns of the event loop: give what the teardown set off a moment to surface here.
        await yieldTurn();
        await sleep(10);
        await yieldTurn();
        const errors = watch.end();
        expect(
          describeProcessErrors(errors),
          "uncaught exceptions / unhandled rejections during this scenario (teardown included)",
        ).toBe("");
      }
    }, s.ms(30_000));

    for (const group of SCENARIO_GROUPS) group(s);

    // Registered last, so it runs after every scenario above: what surfaced between scenarios.
    it(BETWEEN_SCENARIOS, async () => {
      await sleep(50);
      expect(describeProcessErrors(watch.between()), "reported between scenarios").toBe("");
    });
  });
}
