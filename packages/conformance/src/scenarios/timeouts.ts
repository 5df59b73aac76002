import { describe, expect, it } from "vitest";
import { settle, sleep, within } from "../async.js";
import { clock } from "../clock.js";
import type { SuiteContext } from "../context.js";
import { expectErrorNamed } from "./expect-error.js";

/** `acquire({ timeout })`: 0 = one attempt, finite, and Infinity (the default). */
export function timeoutScenarios(s: SuiteContext): void {
  describe("timeouts", () => {
    it(
      "timeouts: timeout 0 acquires a free key",
      async () => {
        const provider = await s.provider();
        const handle = await within(
          provider.getLock(s.key("t0-free")).acquire({ timeout: 0 }),
          s.prompt,
          "acquire({ timeout: 0 }) of a free key",
        );
        await handle.release();
      },
      s.testTimeout,
    );

    it(
      "timeouts: timeout 0 makes one attempt and rejects LockTimeoutError at once on a held key",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("t0-held");
        const held = await a!.getLock(key).acquire();
        const outcome = await settle(() =>
          within(b!.getLock(key).acquire({ timeout: 0 }), s.prompt, "acquire({ timeout: 0 })"),
        );
        expectErrorNamed(outcome, "LockTimeoutError", "acquire({ timeout: 0 }) of a held key");
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "timeouts: acquire with a finite timeout rejects LockTimeoutError once the timeout has passed",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("t-finite");
        const held = await a!.getLock(key).acquire();
        const timeout = s.ms(400);
        const outcome = await settle(() =>
          within(
            b!.getLock(key).acquire({ timeout }),
            timeout + s.prompt,
            `acquire({ timeout: ${timeout} }) of a held key`,
          ),
        );
        expectErrorNamed(outcome, "LockTimeoutError", "acquire with a finite timeout");
        // Not early: timers never fire early; 5 ms covers clock granularity between us and the provider.
        expect(outcome.elapsed, "gave up before its timeout").toBeGreaterThanOrEqual(timeout - 5);
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "timeouts: acquire with a finite timeout succeeds when the lock is released during the wait",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("t-finite-ok");
        const held = await a!.getLock(key).acquire();
        const waiting = b!.getLock(key).acquire({ timeout: s.patient });
        await sleep(s.ms(150));
        await held.release();
        const handle = await within(waiting, s.patient, "acquire after the holder released");
        await handle.release();
      },
      s.testTimeout,
    );

    it(
      "timeouts: acquire with an infinite timeout (the default) waits until the holder releases",
      async () => {
        const [a, b, c] = await s.providers(3);
        const key = s.key("t-infinite");
        const held = await a!.getLock(key).acquire();
        let firstAt = 0;
        let secondAt = 0;
        const first = b!
          .getLock(key)
          .acquire()
          .then((h) => {
            firstAt = clock();
            return h;
          });
        const second = c!
          .getLock(key)
          .acquire({ timeout: Number.POSITIVE_INFINITY })
          .then((h) => {
            secondAt = clock();
            return h;
          });
        // If an assertion below fails first, closing the providers rejects these: not unhandled.
        first.catch(() => {});
        second.catch(() => {});
        // Hold for 300 ms: an infinite wait must still be waiting then, not failed nor granted.
        await sleep(s.ms(300));
        expect(firstAt + secondAt, "a waiter got the lock while it was held").toBe(0);
        const releasedAt = clock();
        await held.release();
        const winner = await within(
          Promise.race([first, second]),
          s.patient,
          "infinite wait after release",
        );
        await winner.release();
        const both = await within(Promise.all([first, second]), s.patient, "second infinite wait");
        expect(Math.min(firstAt, secondAt)).toBeGreaterThanOrEqual(releasedAt);
        await Promise.all(both.map((h) => h.release()));
      },
      s.testTimeout,
    );
  });
}
