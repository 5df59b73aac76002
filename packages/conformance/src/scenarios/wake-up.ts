import type { LockHandle } from "@locks/core";
import { describe, expect, it } from "vitest";
import { sleep, within } from "../async.js";
import { clock } from "../clock.js";
import type { SuiteContext } from "../context.js";
import { describeOverlap, HoldHistory } from "../hold-history.js";

/** Waiters on one key across several providers; each release hands the lock on. */
export function wakeUpScenarios(s: SuiteContext): void {
  describe("waiter wake-up", () => {
    it(
      "waiter wake-up: every waiter gets the lock in turn, no lost wake-ups, hand-off latency bounded",
      async (ctx) => {
        const [holderProvider, ...waiterProviders] = await s.providers(4);
        const key = s.key("wake-up");
        const perProvider = 2;
        const waiters = waiterProviders.length * perProvider;
        const history = new HoldHistory();
        const latencies: number[] = [];
        let releasedAt = 0;
        const hold = async (handle: LockHandle, holder: string) => {
          const start = clock();
          latencies.push(start - releasedAt);
          // 20 ms of work per holder, so that waiters really queue behind each other.
          await sleep(s.ms(20));
          const end = clock();
          history.record({ holder, start, end, token: handle.fencingToken });
          releasedAt = clock();
          await handle.release();
        };
        const first = await holderProvider!.getLock(key).acquire();
        const all = waiterProviders.flatMap((provider, p) =>
          Array.from({ length: perProvider }, async (_, w) => {
            const handle = await provider.getLock(key).acquire({ timeout: s.ms(60_000) });
            await hold(handle, `provider ${p} / waiter ${w}`);
          }),
        );
        // 200 ms: every waiter has made its first attempt and is now waiting (a sleep, not an
        // event, because the contract has no "is waiting" signal; nothing is asserted on it).
        await sleep(s.ms(200));
        releasedAt = clock();
        await first.release();
        // Each hand-off is bounded below, so all of them fit in waiters × that bound.
        const handOffBound = s.ms(2_000);
        await within(
          Promise.all(all),
          waiters * (handOffBound + s.ms(20)) + s.prompt,
          "waiters (lost wake-up?)",
        );
        const sorted = [...latencies].sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)]!;
        const max = sorted[sorted.length - 1]!;
        await ctx.annotate?.(
          `${waiters} hand-offs: median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms (notifications: ${holderProvider!.capabilities.notifications})`,
          "wake-up",
        );
        expect(latencies.length, "waiters that got the lock").toBe(waiters);
        expect(history.overlaps().map(describeOverlap)).toEqual([]);
        // Without notifications a waiter polls; core's backoff tops out at 1 s between attempts, so
        // 2 s allows one full backoff period plus scheduling on a loaded machine.
        expect(max, "slowest hand-off (ms)").toBeLessThanOrEqual(handOffBound);
        if (holderProvider!.capabilities.notifications) {
          // Woken by a notification: a round trip or two, not a polling period (50 ms and up).
          expect(median, "median hand-off with notifications (ms)").toBeLessThanOrEqual(s.ms(250));
        }
      },
      s.ms(120_000),
    );

    it(
      "local queue: waiters on one provider get the lock in the order they called acquire (FIFO)",
      async () => {
        const [holder, waiting] = await s.providers(2);
        const key = s.key("local-fifo");
        const first = await holder!.getLock(key).acquire();
        const order: number[] = [];
        const waits = Array.from({ length: 4 }, async (_, i) => {
          // 20 ms apart: the calls reach the provider's local queue in this order.
          await sleep(s.ms(20) * i);
          const handle = await waiting!.getLock(key).acquire({ timeout: s.ms(60_000) });
          order.push(i);
          await sleep(s.ms(5));
          await handle.release();
        });
        await sleep(s.ms(20) * 4 + s.ms(50));
        await first.release();
        await within(Promise.all(waits), s.patient * 2, "the queued waiters");
        expect(order, "grant order of the queued callers").toEqual([0, 1, 2, 3]);
      },
      s.testTimeout,
    );
  });
}
