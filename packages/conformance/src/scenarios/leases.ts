import { describe, expect, it } from "vitest";
import { aborted, settle, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { isErrorNamed } from "../error-match.js";
import { SKIP } from "../skip-reasons.js";
import { record } from "./diagnostics-record.js";

/** Leases: an abandoned lock expires after its ttl; auto-extension keeps a held one alive. */
export function leaseScenarios(s: SuiteContext): void {
  const noLeases = SKIP.noLeases;

  describe("lease expiry and auto-extension", () => {
    it(
      "lease expiry: an abandoned lock (no release, no renewal) expires after its ttl",
      async (ctx) => {
        const [a, b] = await s.providers(2);
        if (!a!.capabilities.leases) ctx.skip(noLeases);
        const key = s.key("expiry");
        const ttl = s.minTtl;
        // autoExtend false stands for a holder that died: nobody renews, nobody releases.
        const calledAt = performance.now();
        await a!.getLock(key, { ttl, autoExtend: false }).acquire();
        // The lease began no earlier than the call; the next holder starts timing after the
        // grant came back, so it may see the lock go at most this round trip before the ttl.
        const roundTrip = performance.now() - calledAt;
        const outcome = await settle(() =>
          within(
            b!.getLock(key).acquire({ timeout: ttl + s.prompt }),
            ttl + s.prompt * 2,
            "acquire",
          ),
        );
        expect(
          outcome.ok,
          `the abandoned lock never expired: ${String(!outcome.ok && outcome.error)}`,
        ).toBe(true);
        // Not early either (5 ms: clock granularity between this process and the backend's).
        expect(outcome.elapsed, "the lock expired before its ttl").toBeGreaterThanOrEqual(
          ttl - roundTrip - 5,
        );
        if (outcome.ok) await outcome.value.release();
      },
      s.testTimeout,
    );

    it(
      "lease expiry: the abandoned handle's signal aborts with LockLostError and lost becomes true",
      async (ctx) => {
        const provider = await s.provider();
        if (!provider.capabilities.leases) ctx.skip(noLeases);
        const ttl = s.minTtl;
        const handle = await provider
          .getLock(s.key("expiry-signal"), { ttl, autoExtend: false })
          .acquire();
        const reason = await aborted(handle.signal, ttl + s.prompt, "the expired handle's signal");
        expect(isErrorNamed(reason, "LockLostError"), `signal reason: ${String(reason)}`).toBe(
          true,
        );
        expect(handle.lost).toBe(true);
      },
      s.testTimeout,
    );

    it(
      "auto-extension: a held lock outlives several ttls while its holder is alive",
      async (ctx) => {
        const [a, b] = await s.providers(2);
        if (!a!.capabilities.leases) ctx.skip(noLeases);
        const key = s.key("auto-extend");
        // Twice the minimal ttl: renewals run every ttl/3, so one must be 2/3 ttl late (400 ms at
        // the default) before the lease runs out, which a loaded machine's stalls do not reach;
        // expiry itself is tested with the minimal ttl above.
        const ttl = s.minTtl * 2;
        const handle = await a!.getLock(key, { ttl }).acquire();
        // Probe every half ttl for four ttls: without renewal the lock would be gone by the third probe.
        for (let probe = 0; probe < 8; probe++) {
          await sleep(ttl / 2);
          const free = await s.isFree(b!, key);
          expect(
            free,
            `the lock expired while held, after ${((probe + 1) / 2).toFixed(1)} ttls`,
          ).toBe(false);
        }
        expect(handle.lost).toBe(false);
        expect(handle.signal.aborted).toBe(false);
        await handle.release();
        // Renewal stops at the release: no automatic extend is published after it, and nothing
        // re-takes the key two renewal periods later.
        const recorder = record([key]);
        try {
          const next = await within(
            b!.getLock(key).tryAcquire(),
            s.prompt,
            "tryAcquire after release",
          );
          expect(next).toBeDefined();
          await next!.release();
          await sleep((ttl / 3) * 2);
          expect(await s.isFree(b!, key), "the key was taken again after its release").toBe(true);
          const renewals = recorder.messages.get("extend")!.filter((m) => m.automatic === true);
          expect(renewals.length, "automatic renewals after release()").toBe(0);
        } finally {
          recorder.stop();
        }
      },
      s.testTimeout,
    );

    it(
      "auto-extension: extend(ttl) renews a lease by hand",
      async (ctx) => {
        const [a, b] = await s.providers(2);
        if (!a!.capabilities.leases) ctx.skip(noLeases);
        const key = s.key("extend");
        // Margins for a loaded machine (in minimal ttls): the extend is sent at 0.5 after the
        // grant, leaving 1.5 before the original lease (2) runs out, after which it is lost for
        // good. The check runs 3 after the extend returned: a minimal ttl past where the lease
        // would end had the backend renewed it to the lock's own ttl (2) instead of the one asked
        // for (a margin for clock granularity between this process and the backend), and 7
        // before the extended lease (10) runs out, a margin only a stall of seconds could use up.
        const ttl = s.minTtl * 2;
        const extended = s.minTtl * 10;
        const handle = await a!.getLock(key, { ttl, autoExtend: false }).acquire();
        await sleep(s.minTtl / 2);
        await within(handle.extend(extended), s.prompt, "extend");
        await sleep(ttl + s.minTtl);
        expect(
          await s.isFree(b!, key),
          "extend(ttl) did not renew the lease to ttl (it ran out with the lock's own ttl)",
        ).toBe(false);
        expect(handle.lost).toBe(false);
        await handle.release();
      },
      s.testTimeout,
    );

    it(
      "auto-extension: a lock without ttl leases for the default 30 s, and extend() without ttl renews to the lock's ttl",
      async (ctx) => {
        const provider = await s.provider();
        if (!provider.capabilities.leases) ctx.skip(noLeases);
        const key = s.key("default-ttl");
        const ownKey = s.key("own-ttl");
        const recorder = record([key, ownKey]);
        try {
          const handle = await provider.getLock(key, { autoExtend: false }).acquire();
          // Three minimal leases later, a default (30 s) lease is still held.
          await sleep(s.minTtl * 3);
          expect(
            await s.isFree((await s.provider())!, key),
            "the default lease ran out early",
          ).toBe(false);
          await within(handle.extend(), s.prompt, "extend() without ttl");
          const own = await provider
            .getLock(ownKey, { ttl: s.minTtl * 5, autoExtend: false })
            .acquire();
          await within(own.extend(), s.prompt, "extend() of a lock with its own ttl");
          const ttls = recorder.messages
            .get("extend")!
            .filter((m) => m.automatic === false)
            .map((m) => m.ttl);
          expect(ttls, "locks:extend { ttl } of extend() without ttl").toEqual([
            30_000,
            s.minTtl * 5,
          ]);
          await handle.release();
          await own.release();
        } finally {
          recorder.stop();
        }
      },
      s.testTimeout,
    );
  });
}
