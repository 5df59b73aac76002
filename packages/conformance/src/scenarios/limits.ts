import { MAX_TTL } from "@locks/core";
import { describe, expect, it } from "vitest";
import { settle, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { expectArgumentError } from "./expect-error.js";

/** Node's timers hold at most 2³¹−1 ms; a longer delay handed to `setTimeout` fires after 1 ms. */
const NODE_TIMER_LIMIT = 2 ** 31 - 1;

/**
 * Numbers at the edges of what timers, `Date` and every backend can hold: out-of-range values
 * reject before any I/O, and large in-range ones behave like small ones (no early timeout, no
 * lease that another node can take while its holder believes it holds it).
 */
export function limitScenarios(s: SuiteContext): void {
  describe("limits", () => {
    it(
      "limits: ttl 1e20 rejects with a RangeError naming ttl, and nothing is acquired or disturbed",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("limit-ttl");
        const outcome = await settle(() =>
          within(a!.getLock(key, { ttl: 1e20 }).acquire({ timeout: 0 }), s.prompt, "acquire"),
        );
        expectArgumentError(outcome, "ttl", "ttl 1e20");
        expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(RangeError);
        const held = await within(b!.getLock(key).acquire({ timeout: 0 }), s.prompt, "acquire");
        const extended = await settle(() => within(held.extend(1e20), s.prompt, "extend"));
        expectArgumentError(extended, "ttl", "extend(1e20)");
        expect(held.lost, "a rejected extend(1e20) lost the lock").toBe(false);
        expect(await s.isFree(a!, key), "a rejected extend(1e20) freed the lock").toBe(false);
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "limits: a finite timeout above 2^31-1 ms keeps waiting (it does not fire early)",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("limit-timeout");
        const held = await a!.getLock(key).acquire();
        const controller = new AbortController();
        let ended = false;
        const waiting = b!
          .getLock(key)
          .acquire({ timeout: NODE_TIMER_LIMIT + 1_000, signal: controller.signal });
        waiting.then(
          () => {
            ended = true;
          },
          () => {
            ended = true;
          },
        );
        await sleep(s.ms(300));
        expect(ended, "a wait with a timeout above 2^31-1 ms ended within 300 ms").toBe(false);
        const reason = new Error("conformance: stop waiting");
        controller.abort(reason);
        const outcome = await settle(() => within(waiting, s.prompt, "aborted wait"));
        expect(outcome.ok ? undefined : outcome.error, "the wait ended otherwise").toBe(reason);
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "limits: the largest accepted ttl (MAX_TTL) is held: others cannot take it, and release frees it",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("limit-max-ttl");
        const held = await within(
          a!.getLock(key, { ttl: MAX_TTL }).acquire({ timeout: 0 }),
          s.prompt,
          "acquire with ttl MAX_TTL",
        );
        // Long enough for a timer that overflowed (fires after 1 ms) to have run many times.
        await sleep(s.ms(300));
        expect(held.lost, "a lease of MAX_TTL ms was reported lost").toBe(false);
        expect(await s.isFree(b!, key), "another node took a lock held for MAX_TTL ms").toBe(false);
        await within(held.release(), s.prompt, "release");
        expect(await s.isFree(b!, key), "release did not free the lock").toBe(true);
      },
      s.testTimeout,
    );
  });
}
