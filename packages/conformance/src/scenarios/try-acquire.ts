import { describe, expect, it } from "vitest";
import { settle, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";

/** `tryAcquire`: one attempt by default, resolves `undefined` instead of rejecting. */
export function tryAcquireScenarios(s: SuiteContext): void {
  describe("try-acquire", () => {
    it(
      "try-acquire: tryAcquire() on a free key returns a handle",
      async () => {
        const provider = await s.provider();
        const handle = await within(
          provider.getLock(s.key("try")).tryAcquire(),
          s.prompt,
          "tryAcquire",
        );
        expect(handle).toBeDefined();
        expect(handle!.lost).toBe(false);
        await handle!.release();
      },
      s.testTimeout,
    );

    it(
      "try-acquire: tryAcquire() on a held key resolves undefined at once, without waiting",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("try-held");
        const held = await a!.getLock(key).acquire();
        const outcome = await settle(() =>
          within(b!.getLock(key).tryAcquire(), s.prompt, "tryAcquire() of a held key"),
        );
        expect(
          outcome.ok,
          `tryAcquire() rejected or waited: ${String(!outcome.ok && outcome.error)}`,
        ).toBe(true);
        expect(outcome.ok && outcome.value, "tryAcquire() got a held key").toBeUndefined();
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "try-acquire: tryAcquire({ timeout }) waits up to the timeout, then resolves undefined",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("try-timeout");
        const held = await a!.getLock(key).acquire();
        const timeout = s.ms(300);
        const outcome = await settle(() =>
          within(
            b!.getLock(key).tryAcquire({ timeout }),
            timeout + s.prompt,
            "tryAcquire({ timeout })",
          ),
        );
        expect(outcome.ok, `tryAcquire rejected: ${String(!outcome.ok && outcome.error)}`).toBe(
          true,
        );
        expect(outcome.ok && outcome.value).toBeUndefined();
        // Timers never fire early; 5 ms covers the granularity between this clock and the provider's.
        expect(outcome.elapsed).toBeGreaterThanOrEqual(timeout - 5);
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "try-acquire: tryAcquire({ timeout }) gets the lock when it is released during the wait",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("try-handoff");
        const held = await a!.getLock(key).acquire();
        const waiting = b!.getLock(key).tryAcquire({ timeout: s.patient });
        await sleep(s.ms(100));
        await held.release();
        const handle = await within(waiting, s.patient, "tryAcquire({ timeout }) after a release");
        expect(handle, "the waiter did not get the released lock").toBeDefined();
        await handle!.release();
      },
      s.testTimeout,
    );
  });
}
