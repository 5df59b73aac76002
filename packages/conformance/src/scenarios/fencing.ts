import type { LockHandle } from "@locks/core";
import { describe, expect, it } from "vitest";
import { within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { SKIP } from "../skip-reasons.js";

/** Fencing tokens: strictly increasing per key across release, expiry and takeover. */
export function fencingScenarios(s: SuiteContext): void {
  const noFencing = SKIP.noFencing;

  function tokenOf(handle: LockHandle): bigint {
    expect(typeof handle.fencingToken, "fencingToken must be a bigint").toBe("bigint");
    return handle.fencingToken!;
  }

  describe("fencing", () => {
    it(
      "fencing: handles carry a bigint token exactly when capabilities.fencing is true",
      async () => {
        const provider = await s.provider();
        const handle = await provider.getLock(s.key("fence-type")).acquire();
        if (provider.capabilities.fencing) expect(typeof handle.fencingToken).toBe("bigint");
        else expect(handle.fencingToken).toBeUndefined();
        await handle.release();
      },
      s.testTimeout,
    );

    it(
      "fencing: tokens strictly increase across release, on one provider and across providers",
      async (ctx) => {
        const [a, b] = await s.providers(2);
        if (!a!.capabilities.fencing) ctx.skip(noFencing);
        const key = s.key("fence-release");
        let previous: bigint | undefined;
        for (let round = 0; round < 6; round++) {
          const provider = round % 3 === 2 ? a! : b!;
          const handle = await within(provider.getLock(key).acquire(), s.prompt, "acquire");
          const token = tokenOf(handle);
          if (previous !== undefined) {
            expect(token > previous, `round ${round}: token ${token} after ${previous}`).toBe(true);
          }
          previous = token;
          await handle.release();
        }
      },
      s.testTimeout,
    );

    it(
      "fencing: tokens strictly increase across lease expiry",
      async (ctx) => {
        const [a, b] = await s.providers(2);
        if (!a!.capabilities.fencing) ctx.skip(noFencing);
        if (!a!.capabilities.leases) ctx.skip(SKIP.noLeases);
        const key = s.key("fence-expiry");
        const ttl = s.minTtl;
        const first = await a!.getLock(key, { ttl, autoExtend: false }).acquire();
        const second = await within(
          b!.getLock(key).acquire({ timeout: ttl + s.prompt }),
          ttl + s.prompt * 2,
          "acquire after expiry",
        );
        expect(
          tokenOf(second) > tokenOf(first),
          `${second.fencingToken} after ${first.fencingToken}`,
        ).toBe(true);
        await second.release();
      },
      s.testTimeout,
    );

    it(
      "fencing: tokens strictly increase across takeover (breakLock)",
      async (ctx) => {
        const breakLock = s.faults.breakLock;
        const [a, b] = await s.providers(2);
        if (!a!.capabilities.fencing) ctx.skip(noFencing);
        if (!breakLock) ctx.skip(SKIP.noHook("breakLock"));
        const key = s.key("fence-takeover");
        const first = await a!.getLock(key, { ttl: s.ms(30_000), autoExtend: false }).acquire();
        await breakLock!(key);
        const second = await within(
          b!.getLock(key).acquire({ timeout: s.prompt }),
          s.prompt * 2,
          "acquire",
        );
        expect(
          tokenOf(second) > tokenOf(first),
          `${second.fencingToken} after ${first.fencingToken}`,
        ).toBe(true);
        await second.release();
        await first.release();
        const third = await within(
          a!.getLock(key).acquire({ timeout: s.prompt }),
          s.prompt * 2,
          "acquire",
        );
        expect(
          tokenOf(third) > tokenOf(second),
          `${third.fencingToken} after ${second.fencingToken}`,
        ).toBe(true);
        await third.release();
      },
      s.testTimeout,
    );
  });
}
