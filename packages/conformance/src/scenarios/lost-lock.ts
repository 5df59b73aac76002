import type { LockHandle, LockProvider } from "@locks/core";
import { describe, expect, it, type TestContext } from "vitest";
import { aborted, settle, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { isErrorNamed } from "../error-match.js";
import { SKIP } from "../skip-reasons.js";
import { recordOutcome } from "./annotate.js";
import { expectErrorNamed } from "./expect-error.js";

/**
 * The lost-lock signal, driven by the backend's fault hooks. A broken lock must be reported
 * (signal aborts with LockLostError, `lost`, `extend` rejects); dropped connections, restarts and
 * pauses may or may not lose the lock, but must never leave two holders, and the provider recovers.
 */
export function lostLockScenarios(s: SuiteContext): void {
  /** Renewal (ttl/3) or validation period bound: loss must be noticed within one lease. */
  const leaseTtl = () => s.minTtl * 3;
  const noticeWithin = () => Math.max(leaseTtl(), s.ms(1_000)) + s.prompt;

  /**
   * After a fault, gives renewals a whole lease to notice it, then checks that the holder's view
   * and the backend agree: a handle that still believes it holds the lock blocks everyone else
   * and can extend; a lost one lets another node in.
   */
  async function expectConsistent(
    ctx: TestContext,
    fault: string,
    holder: LockHandle,
    holderProvider: LockProvider,
    other: LockProvider,
    key: string,
  ): Promise<void> {
    await sleep(noticeWithin());
    await recordOutcome(ctx, `${fault}: the lock was ${holder.lost ? "reported lost" : "kept"}`);
    if (holder.lost) {
      expect(isErrorNamed(holder.signal.reason, "LockLostError")).toBe(true);
      const next = await within(
        other.getLock(key).acquire({ timeout: leaseTtl() + s.patient }),
        leaseTtl() + s.patient + s.prompt,
        "acquire of a lock reported lost",
      );
      await next.release();
    } else {
      const stolen = await within(other.getLock(key).tryAcquire(), s.patient, "probe tryAcquire");
      await stolen?.release();
      expect(stolen, "two holders: the handle still believes it holds the lock").toBeUndefined();
      await within(holder.extend(), s.patient, "extend of a lock that survived the fault");
      await holder.release();
    }
    // Recovery: the faulted provider can lock again (it reconnected if it had to).
    const again = await within(
      holderProvider.getLock(s.key("recovered")).acquire({ timeout: s.patient }),
      s.patient + s.prompt,
      "acquire on the faulted provider",
    );
    await again.release();
  }

  const faultTimeout = () => s.testTimeout + s.ms(30_000);

  describe("lost-lock signal (fault hooks)", () => {
    it(
      "lost-lock signal: breakLock aborts the holder's signal with LockLostError, sets lost, and extend rejects",
      async (ctx) => {
        const breakLock = s.faults.breakLock;
        if (!breakLock) ctx.skip(SKIP.noHook("breakLock"));
        const [a, b] = await s.providers(2);
        const key = s.key("lost-break");
        const handle = await a!.getLock(key, { ttl: leaseTtl() }).acquire();
        await breakLock!(key);
        const reason = await aborted(handle.signal, noticeWithin(), "signal after breakLock");
        await recordOutcome(ctx, "breakLock: the lock was reported lost");
        expect(isErrorNamed(reason, "LockLostError"), `signal reason: ${String(reason)}`).toBe(
          true,
        );
        expect(handle.lost).toBe(true);
        expectErrorNamed(
          await settle(() => handle.extend()),
          "LockLostError",
          "extend() of a lost lock",
        );
        const release = await settle(() =>
          within(handle.release(), s.prompt, "release of a lost lock"),
        );
        expect(release.ok, "release() of a lost lock threw").toBe(true);
        const next = await within(b!.getLock(key).tryAcquire(), s.prompt, "tryAcquire after loss");
        expect(next, "the broken lock still blocks other nodes").toBeDefined();
        await next!.release();
      },
      s.testTimeout,
    );

    it(
      "lost-lock signal: after dropConnections the lock is kept or reported lost, never two holders",
      async (ctx) => {
        const dropConnections = s.faults.dropConnections;
        if (!dropConnections) ctx.skip(SKIP.noHook("dropConnections"));
        const [a, b] = await s.providers(2);
        const key = s.key("lost-drop");
        const handle = await a!.getLock(key, { ttl: leaseTtl() }).acquire();
        await dropConnections!(a!);
        await expectConsistent(ctx, "dropConnections", handle, a!, b!, key);
      },
      faultTimeout(),
    );

    it(
      "lost-lock signal: after restartBackend the lock is kept or reported lost, never two holders",
      async (ctx) => {
        const restartBackend = s.faults.restartBackend;
        if (!restartBackend) ctx.skip(SKIP.noHook("restartBackend"));
        const [a, b] = await s.providers(2);
        const key = s.key("lost-restart");
        const handle = await a!.getLock(key, { ttl: leaseTtl() }).acquire();
        await restartBackend!();
        await expectConsistent(ctx, "restartBackend", handle, a!, b!, key);
      },
      faultTimeout(),
    );

    it(
      "lost-lock signal: after pauseBackend the lock is kept or reported lost, never two holders",
      async (ctx) => {
        const pauseBackend = s.faults.pauseBackend;
        if (!pauseBackend) ctx.skip(SKIP.noHook("pauseBackend"));
        const [a, b] = await s.providers(2);
        const key = s.key("lost-pause");
        const handle = await a!.getLock(key, { ttl: leaseTtl() }).acquire();
        // Longer than the lease: renewals cannot get through, so the lease may run out.
        await pauseBackend!(leaseTtl() * 2);
        await expectConsistent(ctx, "pauseBackend", handle, a!, b!, key);
      },
      faultTimeout(),
    );
  });
}
