import { describe, expect, it } from "vitest";
import { settle, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { describeError } from "../error-match.js";
import { startPausedHolder } from "../paused-holder-run.js";
import { SKIP } from "../skip-reasons.js";
import { recordOutcome } from "./annotate.js";

/**
 * A holder whose whole process stops (a long GC pause, a swapped or migrated VM), with no fault
 * hook needed: a child process built from the `child` recipe takes a lock and blocks its event
 * loop for three leases. With leases, another node must get the key meanwhile, and the holder's
 * signal must abort with `LockLostError` as soon as it wakes, before its code can act on the lock
 * (a handle never claims a lease past its known deadline). Without leases the session outlives
 * the pause: the other node must not get the key, and the holder still holds it. Either way
 * nothing may be left unhandled in the child: a renewal that fails after the wake-up must be
 * reported through the handle, never thrown from a timer.
 */
export function pausedHolderScenarios(s: SuiteContext): void {
  describe("paused holder (no fault hooks)", () => {
    it(
      "paused holder: a child process that blocks its event loop past its lease loses the lock to another node, learns it on waking, leaves nothing unhandled",
      async (ctx) => {
        const recipe = s.options.child;
        if (!recipe) ctx.skip(SKIP.noChild);
        const other = await s.provider();
        if (!other.capabilities.distributed) ctx.skip(SKIP.notDistributed);
        const leases = other.capabilities.leases;
        const key = s.key("paused-holder");
        const ttl = s.minTtl * 3;
        const pauseMs = ttl * 3;
        const holder = startPausedHolder({
          recipe: recipe!,
          key,
          ttl,
          pauseMs,
          settleMs: s.prompt,
          // Child start-up (module loading, tsx) plus the pause and the report.
          deadline: s.ms(60_000) + pauseMs,
        });
        try {
          await within(holder.held, s.ms(30_000), "the child taking the lock");
          const blockedAt = performance.now();
          // While the holder is frozen: with leases the key frees after ~ttl; give up before it wakes.
          const taken = await settle(() =>
            other.getLock(key).acquire({ timeout: pauseMs - ttl / 2 }),
          );
          const takenAfter = performance.now() - blockedAt;
          const report = await within(
            holder.woke,
            pauseMs + s.patient,
            "the child's report after waking",
          );
          if (taken.ok) await taken.value.release();
          await recordOutcome(
            ctx,
            `paused holder: ${taken.ok ? `another node took the key after ${Math.round(takenAfter)} ms; the holder ${report.lost ? `reported the lock lost ${Math.round(report.lostAfterWakeMs ?? 0)} ms after waking` : "did not report it lost"}` : `the lock was kept (another node timed out); the holder ${report.lost ? "reported it lost" : "still held it"}`}`,
          );
          expect(report.unhandled, "left unhandled in the paused holder's process").toEqual([]);
          if (leases) {
            expect(
              taken.ok,
              `another node never got the key of a holder frozen for 3 leases: ${taken.ok ? "" : describeError(taken.error)}`,
            ).toBe(true);
          }
          if (taken.ok) {
            expect(report.lost, "two holders: the woken holder did not report the lock lost").toBe(
              true,
            );
            expect(report.reason).toBe("LockLostError");
            expect(report.extend, "extend() after waking").toBe("LockLostError");
          } else if (!report.lost) {
            expect(report.extend, "extend() of a kept lock after waking").toBe("renewed");
          }
        } finally {
          holder.kill();
        }
      },
      s.ms(120_000),
    );
  });
}
