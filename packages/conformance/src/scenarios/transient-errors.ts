import { describe, expect, it } from "vitest";
import { settle, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { SKIP } from "../skip-reasons.js";

/**
 * A wait with time left rides out transient errors: dropping the waiter's connections (a
 * failover, a network blip) must not end its wait; it keeps waiting and is granted once the
 * holder releases.
 */
export function transientErrorScenarios(s: SuiteContext): void {
  describe("transient errors", () => {
    it(
      "transient errors: a wait survives dropConnections of the waiter and is granted after the release",
      async (ctx) => {
        const dropConnections = s.faults.dropConnections;
        if (!dropConnections) ctx.skip(SKIP.noHook("dropConnections"));
        const [a, b] = await s.providers(2);
        const key = s.key("transient-drop");
        const held = await a!.getLock(key).acquire();
        const waiting = b!.getLock(key).acquire({ timeout: s.patient });
        waiting.catch(() => {});
        // Let the wait reach the backend (attempt, subscription or native wait) before the fault.
        await sleep(s.ms(200));
        await dropConnections!(b!);
        await sleep(s.ms(200));
        await within(held.release(), s.prompt, "release by the holder");
        const outcome = await settle(() =>
          within(waiting, s.patient + s.prompt, "wait after dropConnections"),
        );
        expect(
          outcome.ok,
          `the wait ended with ${outcome.ok ? "" : String(outcome.error)} instead of riding out the dropped connection`,
        ).toBe(true);
        if (outcome.ok) await outcome.value.release();
      },
      s.testTimeout,
    );
  });
}
