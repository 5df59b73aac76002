import { describe, expect, it } from "vitest";
import { aborted, settle, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { SKIP } from "../skip-reasons.js";

/** `release()` is idempotent and never throws because the lease already ran out. */
export function releaseScenarios(s: SuiteContext): void {
  describe("release idempotency", () => {
    it(
      "release idempotency: a second release() resolves and touches nothing",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("release-twice");
        const handle = await a!.getLock(key).acquire();
        await within(handle.release(), s.prompt, "first release");
        await within(handle.release(), s.prompt, "second release");
        const next = await within(
          b!.getLock(key).acquire({ timeout: 0 }),
          s.prompt,
          "acquire by b",
        );
        // The old handle's third release must not free the new holder's lock.
        await within(handle.release(), s.prompt, "third release");
        await within(handle[Symbol.asyncDispose](), s.prompt, "dispose after release");
        expect(await s.isFree(a!, key), "a repeated release freed b's lock").toBe(false);
        await next.release();
      },
      s.testTimeout,
    );

    it(
      "release idempotency: concurrent release() calls all resolve",
      async () => {
        const provider = await s.provider();
        const handle = await provider.getLock(s.key("release-concurrent")).acquire();
        const outcomes = await within(
          Promise.allSettled([handle.release(), handle.release(), handle.release()]),
          s.prompt,
          "concurrent releases",
        );
        expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
      },
      s.testTimeout,
    );

    it(
      "release idempotency: release() after the lease ran out resolves without throwing",
      async (ctx) => {
        const provider = await s.provider();
        if (!provider.capabilities.leases) ctx.skip(SKIP.noLeases);
        const ttl = s.minTtl;
        const handle = await provider
          .getLock(s.key("release-expired"), { ttl, autoExtend: false })
          .acquire();
        await aborted(handle.signal, ttl + s.prompt, "the expired handle's signal");
        const outcome = await settle(() => within(handle.release(), s.prompt, "release"));
        expect(
          outcome.ok,
          `release() threw after expiry: ${String(!outcome.ok && outcome.error)}`,
        ).toBe(true);
      },
      s.testTimeout,
    );
  });
}
