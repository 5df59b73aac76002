import type { LockHandle, LockProvider } from "@locks/core";
import { describe, expect, it } from "vitest";
import { aborted, settle, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { SKIP } from "../skip-reasons.js";
import { expectErrorNamed } from "./expect-error.js";

/**
 * Only the holder's own handle can release or extend. A stale handle (its lease ran out, or the
 * lock was taken over after it was broken) must not touch the new holder's lock.
 */
export function ownershipScenarios(s: SuiteContext): void {
  /** Asserts that `key` is still held: a third node's attempt gets nothing. */
  async function expectStillHeld(probe: LockProvider, key: string, what: string): Promise<void> {
    const stolen = await within(probe.getLock(key).tryAcquire(), s.prompt, "probe tryAcquire");
    await stolen?.release();
    expect(stolen, what).toBeUndefined();
  }

  /** A is stale because its lease ran out; B holds the key now. */
  async function staleByExpiry(): Promise<{
    stale: LockHandle;
    fresh: LockHandle;
    probe: LockProvider;
    key: string;
  }> {
    const [a, b, probe] = await s.providers(3);
    const key = s.key("stale-expiry");
    const ttl = s.minTtl;
    const stale = await a!.getLock(key, { ttl, autoExtend: false }).acquire();
    // The next holder waits out the lease: ttl plus a prompt round-trip margin.
    const fresh = await within(
      b!.getLock(key, { ttl: s.ms(30_000) }).acquire({ timeout: ttl + s.prompt }),
      ttl + s.prompt * 2,
      "acquire after the first lease ran out",
    );
    return { stale, fresh, probe: probe!, key };
  }

  /** A is stale because its lock was broken behind its back and B took the key over. */
  async function staleByTakeover(
    breakLock: (key: string) => Promise<void>,
  ): Promise<{ stale: LockHandle; fresh: LockHandle; probe: LockProvider; key: string }> {
    const [a, b, probe] = await s.providers(3);
    const key = s.key("stale-takeover");
    // A long lease without renewal: nothing but the broken lock makes A stale, so the old
    // handle's release/extend really reach the backend's ownership check.
    const stale = await a!.getLock(key, { ttl: s.ms(30_000), autoExtend: false }).acquire();
    await breakLock(key);
    const fresh = await within(
      b!.getLock(key, { ttl: s.ms(30_000) }).acquire({ timeout: s.prompt }),
      s.prompt * 2,
      "acquire after breakLock",
    );
    return { stale, fresh, probe: probe!, key };
  }

  /**
   * A is stale because its lock was broken and the *same* provider took the key again. With one
   * session per provider, a backend that checks ownership by session instead of by grant lets the
   * old handle free the new grant. The re-acquire is a `tryAcquire()` (timeout 0), which reaches
   * the backend even while this provider still believes it holds the key; leases are long and not
   * renewed, so only the backend's ownership check protects the new grant. Runs with or without
   * leases: `breakLock` is all it needs.
   */
  async function staleBySameProvider(
    breakLock: (key: string) => Promise<void>,
  ): Promise<{ stale: LockHandle; fresh: LockHandle; probe: LockProvider; key: string }> {
    const [a, probe] = await s.providers(2);
    const key = s.key("stale-same-provider");
    const stale = await a!.getLock(key, { ttl: s.ms(30_000), autoExtend: false }).acquire();
    await breakLock(key);
    const fresh = await within(
      a!.getLock(key, { ttl: s.ms(30_000) }).tryAcquire(),
      s.prompt,
      "tryAcquire on the same provider after breakLock",
    );
    expect(fresh, "the same provider could not take the broken lock again").toBeDefined();
    return { stale, fresh: fresh!, probe: probe!, key };
  }

  describe("ownership", () => {
    it(
      "ownership: a stale holder whose lease ran out cannot release the new holder's lock",
      async (ctx) => {
        if (!(await s.capabilities()).leases) ctx.skip(SKIP.noLeases);
        const { stale, fresh, probe, key } = await staleByExpiry();
        const outcome = await settle(() => within(stale.release(), s.prompt, "stale release"));
        expect(outcome.ok, "release() of a stale handle must resolve, not throw").toBe(true);
        await expectStillHeld(probe, key, "the stale holder's release freed the new holder's lock");
        expect(fresh.lost).toBe(false);
        await fresh.release();
      },
      s.testTimeout,
    );

    it(
      "ownership: a stale holder whose lease ran out cannot extend the new holder's lock",
      async (ctx) => {
        if (!(await s.capabilities()).leases) ctx.skip(SKIP.noLeases);
        const { stale, fresh, probe, key } = await staleByExpiry();
        const outcome = await settle(() =>
          within(stale.extend(s.ms(30_000)), s.prompt, "stale extend"),
        );
        expectErrorNamed(outcome, "LockLostError", "extend() of a stale handle");
        expect(stale.lost).toBe(true);
        await fresh.release();
        const free = await within(
          probe.getLock(key).tryAcquire(),
          s.prompt,
          "tryAcquire after release",
        );
        expect(free, "the stale extend() re-took the lock").toBeDefined();
        await free!.release();
      },
      s.testTimeout,
    );

    it(
      "ownership: after a takeover (breakLock) the old handle cannot release the new holder's lock",
      async (ctx) => {
        const breakLock = s.faults.breakLock;
        if (!breakLock) ctx.skip(SKIP.noHook("breakLock"));
        const { stale, fresh, probe, key } = await staleByTakeover(breakLock!);
        const outcome = await settle(() => within(stale.release(), s.prompt, "stale release"));
        expect(outcome.ok, "release() of a taken-over handle must resolve, not throw").toBe(true);
        await expectStillHeld(probe, key, "the old holder's release freed the new holder's lock");
        await fresh.release();
      },
      s.testTimeout,
    );

    it(
      "ownership: after a takeover (breakLock) the old handle cannot extend the new holder's lock",
      async (ctx) => {
        const breakLock = s.faults.breakLock;
        if (!breakLock) ctx.skip(SKIP.noHook("breakLock"));
        const { stale, fresh, probe, key } = await staleByTakeover(breakLock!);
        const outcome = await settle(() => within(stale.extend(), s.prompt, "stale extend"));
        expectErrorNamed(outcome, "LockLostError", "extend() after the lease was taken over");
        await aborted(stale.signal, s.prompt, "the taken-over handle's signal");
        expect(stale.lost).toBe(true);
        await expectStillHeld(probe, key, "the old holder's extend() disturbed the new holder");
        await fresh.release();
      },
      s.testTimeout,
    );

    it(
      "ownership: after a takeover by the same provider (breakLock, re-acquire) the old handle cannot release the new grant",
      async (ctx) => {
        const breakLock = s.faults.breakLock;
        if (!breakLock) ctx.skip(SKIP.noHook("breakLock"));
        const { stale, fresh, probe, key } = await staleBySameProvider(breakLock!);
        const outcome = await settle(() => within(stale.release(), s.prompt, "stale release"));
        expect(outcome.ok, "release() of a taken-over handle must resolve, not throw").toBe(true);
        await expectStillHeld(
          probe,
          key,
          "the old handle's release freed its provider's new grant",
        );
        expect(fresh.lost, "the old handle's release marked the new grant lost").toBe(false);
        await within(fresh.extend(), s.prompt, "extend of the new grant");
        await fresh.release();
        expect(await s.isFree(probe, key), "the new grant's own release did not free it").toBe(
          true,
        );
      },
      s.testTimeout,
    );

    it(
      "ownership: after a takeover by the same provider (breakLock, re-acquire) the old handle cannot extend the new grant",
      async (ctx) => {
        const breakLock = s.faults.breakLock;
        if (!breakLock) ctx.skip(SKIP.noHook("breakLock"));
        const { stale, fresh, probe, key } = await staleBySameProvider(breakLock!);
        const outcome = await settle(() => within(stale.extend(), s.prompt, "stale extend"));
        expectErrorNamed(outcome, "LockLostError", "extend() of the taken-over handle");
        await aborted(stale.signal, s.prompt, "the taken-over handle's signal");
        expect(stale.lost).toBe(true);
        await within(stale.release(), s.prompt, "release of the taken-over handle");
        await expectStillHeld(probe, key, "the old handle's extend/release freed the new grant");
        expect(fresh.lost, "the old handle's extend marked the new grant lost").toBe(false);
        await fresh.release();
      },
      s.testTimeout,
    );
  });
}
