import type { LockHandle, LockProvider } from "@locks/core";
import { describe, expect, it } from "vitest";
import { sleep, within } from "../async.js";
import { clock } from "../clock.js";
import type { SuiteContext } from "../context.js";
import { describeOverlap, HoldHistory } from "../hold-history.js";
import { spawnQueuedChild } from "../queued-child.js";
import { SKIP } from "../skip-reasons.js";

/** Default of `DescribeLockProviderOptions.queueEntryTtl`: core's `wait.queueEntryTtl` (ms). */
const DEFAULT_QUEUE_ENTRY_TTL = 3_000;

/**
 * Time (ms) between two waiters' arrivals in the ordering scenario: long enough that each
 * waiter's first attempt has reached the server before the next waiter starts, even on a loaded
 * machine, so that "arrival order" is known to the test.
 */
const ARRIVAL_GAP = 60;

/**
 * Cross-node fairness (`capabilities.fairness`): waiters on different providers are served in the
 * order they reached the server, nobody starves, a dead waiter stops blocking the others after its
 * queue entry's lease, and a wait that ends without a grant leaves no entry behind.
 */
export function fairnessScenarios(s: SuiteContext): void {
  const entryTtl = s.options.queueEntryTtl ?? DEFAULT_QUEUE_ENTRY_TTL;

  describe("fairness between providers", () => {
    it(
      "fairness: grants follow the order in which waiters on different providers arrived",
      async (ctx) => {
        if (!(await s.capabilities()).fairness) return ctx.skip(SKIP.noFairness);
        const [holderProvider, ...providers] = await s.providers(7);
        const key = s.key("fair-order");
        const holder = await holderProvider!.getLock(key).acquire();
        const granted: number[] = [];
        const history = new HoldHistory();
        const waits: Promise<void>[] = [];
        for (const [index, provider] of providers.entries()) {
          waits.push(
            provider
              .getLock(key)
              .acquire({ timeout: s.ms(60_000) })
              .then(async (handle) => {
                granted.push(index);
                const start = clock();
                await sleep(s.ms(5));
                history.record({
                  holder: `provider ${index}`,
                  start,
                  end: clock(),
                  token: handle.fencingToken,
                });
                await handle.release();
              }),
          );
          await sleep(s.ms(ARRIVAL_GAP));
        }
        await holder.release();
        await within(Promise.all(waits), s.patient, "queued waiters");
        // Tolerance: a waiter may trade places with its neighbour (arrivals 60 ms apart could
        // still cross on a machine stalled for longer), never move further.
        const displacement = Math.max(
          ...granted.map((provider, position) => Math.abs(provider - position)),
        );
        await ctx.annotate?.(
          `grant order ${granted.join(", ")} (arrival order 0…${providers.length - 1})`,
          "fairness",
        );
        expect(history.overlaps().map(describeOverlap)).toEqual([]);
        expect(displacement, `grant order ${granted.join(", ")}`).toBeLessThanOrEqual(1);
      },
      s.ms(120_000),
    );

    it(
      "fairness: under sustained contention no provider starves (each wait bounded by queue length × (hold + hand-off))",
      async (ctx) => {
        if (!(await s.capabilities()).fairness) return ctx.skip(SKIP.noFairness);
        const count = 6;
        const providers = await s.providers(count);
        const key = s.key("fair-starvation");
        const hold = s.ms(5);
        // One hand-off: a notification and an attempt, or (without notifications) a polling
        // period; 150 ms leaves room for a loaded 2-core machine and stays far below a starved
        // waiter, which waits for the whole run.
        const handOff = s.ms(150);
        const bound = count * (hold + handOff);
        const runFor = Math.max(s.ms(2_000), 2 * bound);
        const history = new HoldHistory();
        const waits: number[][] = providers.map(() => []);
        const stopAt = clock() + runFor;
        await within(
          Promise.all(
            providers.map(async (provider: LockProvider, index) => {
              const lock = provider.getLock(key);
              while (clock() < stopAt) {
                const asked = clock();
                const handle: LockHandle = await lock.acquire({ timeout: runFor + s.patient });
                const start = clock();
                waits[index]!.push(start - asked);
                await sleep(hold);
                history.record({
                  holder: `provider ${index}`,
                  start,
                  end: clock(),
                  token: handle.fencingToken,
                });
                await handle.release();
                await sleep(Math.random() * 2);
              }
            }),
          ),
          runFor + s.patient * 2,
          "contending providers",
        );
        const all = waits.flat();
        const worst = Math.max(...all);
        const counts = waits.map((w) => w.length);
        await ctx.annotate?.(
          `${all.length} grants across ${count} providers (per provider ${counts.join("/")}), longest wait ${worst.toFixed(0)} ms, bound ${bound} ms`,
          "fairness",
        );
        expect(history.overlaps().map(describeOverlap)).toEqual([]);
        expect(worst, "longest wait of any provider (ms)").toBeLessThanOrEqual(bound);
      },
      s.ms(120_000),
    );

    it(
      "fairness: tryAcquire() right after a release does not take the key from a queued waiter",
      async (ctx) => {
        if (!(await s.capabilities()).fairness) return ctx.skip(SKIP.noFairness);
        const [holderProvider, waiterProvider, otherProvider] = await s.providers(3);
        const key = s.key("fair-no-jump");
        const holder = await holderProvider!.getLock(key).acquire();
        const waiting = waiterProvider!.getLock(key).acquire({ timeout: s.patient });
        await sleep(s.ms(200)); // the waiter's first attempt has queued it
        await holder.release();
        const jumped = await otherProvider!.getLock(key).tryAcquire();
        await jumped?.release();
        const handle = await within(waiting, s.patient, "queued waiter");
        await handle.release();
        expect(jumped, "tryAcquire() took the key ahead of a queued waiter").toBeUndefined();
      },
      s.ms(60_000),
    );

    it(
      "fairness: an aborted or timed-out wait leaves no queue entry behind",
      async (ctx) => {
        if (!(await s.capabilities()).fairness) return ctx.skip(SKIP.noFairness);
        const [holderProvider, waiterProvider, otherProvider] = await s.providers(3);
        for (const ending of ["abort", "timeout"] as const) {
          const key = s.key(`fair-leave-${ending}`);
          const holder = await holderProvider!.getLock(key).acquire();
          const controller = new AbortController();
          const waiting = waiterProvider!
            .getLock(key)
            .acquire(ending === "abort" ? { signal: controller.signal } : { timeout: s.ms(300) });
          waiting.catch(() => {});
          await sleep(s.ms(200)); // queued
          if (ending === "abort") controller.abort(new Error("cancelled"));
          await expect(within(waiting, s.prompt, `${ending}ed wait`)).rejects.toThrow();
          await holder.release();
          // A leftover entry would make every tryAcquire() refuse the free key until it expired.
          expect(await s.isFree(otherProvider!, key), `key free after an ${ending}ed wait`).toBe(
            true,
          );
        }
      },
      s.ms(60_000),
    );

    it(
      "fairness: a waiter killed in the queue (SIGKILL) delays the others by at most its entry's lease",
      async (ctx) => {
        if (!s.options.child) return ctx.skip(SKIP.noChild);
        const capabilities = await s.capabilities();
        if (!capabilities.fairness) return ctx.skip(SKIP.noFairness);
        if (!capabilities.distributed) return ctx.skip(SKIP.notDistributed);
        const [holderProvider, waiterProvider] = await s.providers(2);
        const key = s.key("fair-killed-waiter");
        const holder = await holderProvider!.getLock(key).acquire();
        const child = await spawnQueuedChild(s.options.child, key, s.patient);
        try {
          await sleep(s.ms(500)); // the child's first attempt has queued it, ahead of the waiter
          const waiting = waiterProvider!
            .getLock(key)
            .acquire({ timeout: 4 * entryTtl + s.patient });
          waiting.catch(() => {});
          await sleep(s.ms(200));
          await child.kill();
          const killedAt = clock();
          await holder.release();
          // The entry expires at most entryTtl after the child's last refresh (before the kill);
          // the waiter notices at its next attempt, at most a third of the entry ttl later.
          const bound = entryTtl + entryTtl / 3 + s.prompt;
          const handle = await within(
            waiting,
            4 * entryTtl + s.patient,
            "waiter behind a killed one",
          );
          const delay = clock() - killedAt;
          await handle.release();
          await ctx.annotate?.(
            `waiter granted ${delay.toFixed(0)} ms after the queued child was killed (entry ttl ${entryTtl} ms, bound ${bound.toFixed(0)} ms)`,
            "fairness",
          );
          expect(delay, "delay caused by the killed waiter (ms)").toBeLessThanOrEqual(bound);
        } finally {
          await child.kill();
        }
      },
      s.ms(120_000),
    );
  });
}
