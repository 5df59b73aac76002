import { describe, expect, it } from "vitest";
import { settle, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { expectArgumentError } from "./expect-error.js";

/**
 * Bad arguments reject with a RangeError/TypeError naming the argument. A provider may throw from
 * `getLock` (ttl) or reject from `acquire`; both count, as long as nothing is acquired.
 */
export function argumentScenarios(s: SuiteContext): void {
  async function expectKeyStillFree(key: string): Promise<void> {
    const probe = await s.provider();
    const handle = await within(probe.getLock(key).tryAcquire(), s.prompt, "probe tryAcquire");
    expect(handle, "a call with bad arguments acquired the lock").toBeDefined();
    await handle!.release();
  }

  describe("bad arguments", () => {
    it(
      "bad arguments: a negative, NaN or non-number ttl is rejected naming ttl",
      async () => {
        const provider = await s.provider();
        const key = s.key("bad-ttl");
        for (const ttl of [-1, Number.NaN, "1000"]) {
          const outcome = await settle(() =>
            within(
              provider.getLock(key, { ttl: ttl as number }).acquire({ timeout: 0 }),
              s.prompt,
              "acquire",
            ),
          );
          expectArgumentError(outcome, "ttl", `ttl ${String(ttl)}`);
        }
        await expectKeyStillFree(key);
      },
      s.testTimeout,
    );

    it(
      "bad arguments: a negative, NaN or non-number timeout is rejected naming timeout",
      async () => {
        const provider = await s.provider();
        const key = s.key("bad-timeout");
        const lock = provider.getLock(key);
        for (const timeout of [-1, Number.NaN, "5"]) {
          const viaAcquire = await settle(() =>
            within(lock.acquire({ timeout: timeout as number }), s.prompt, "acquire"),
          );
          expectArgumentError(viaAcquire, "timeout", `acquire timeout ${String(timeout)}`);
          const viaTry = await settle(() =>
            within(lock.tryAcquire({ timeout: timeout as number }), s.prompt, "tryAcquire"),
          );
          expectArgumentError(viaTry, "timeout", `tryAcquire timeout ${String(timeout)}`);
        }
        await expectKeyStillFree(key);
      },
      s.testTimeout,
    );

    it(
      "bad arguments: a signal that is not an AbortSignal is rejected with a TypeError naming signal",
      async () => {
        const provider = await s.provider();
        const key = s.key("bad-signal");
        for (const signal of [{ aborted: false }, "signal", 1]) {
          const outcome = await settle(() =>
            within(
              provider.getLock(key).acquire({ signal: signal as unknown as AbortSignal }),
              s.prompt,
              "acquire",
            ),
          );
          expectArgumentError(outcome, "signal", `signal ${JSON.stringify(signal)}`);
          expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(TypeError);
        }
        await expectKeyStillFree(key);
      },
      s.testTimeout,
    );

    it(
      "bad arguments: extend() with a negative or NaN ttl is rejected naming ttl, the lock stays held",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("bad-extend");
        const handle = await a!.getLock(key).acquire();
        for (const ttl of [-5, Number.NaN]) {
          const outcome = await settle(() => within(handle.extend(ttl), s.prompt, "extend"));
          expectArgumentError(outcome, "ttl", `extend(${ttl})`);
        }
        expect(handle.lost).toBe(false);
        expect(await s.isFree(b!, key), "a bad extend() freed the lock").toBe(false);
        await handle.release();
      },
      s.testTimeout,
    );
  });
}
