import { describe, expect, it } from "vitest";
import { settle, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";

/** AbortSignal cancellation: before and during a wait; nothing is left behind. */
export function cancellationScenarios(s: SuiteContext): void {
  describe("cancellation", () => {
    it(
      "cancellation: an already-aborted signal rejects with signal.reason and takes nothing",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("cancel-before");
        const reason = new Error("cancelled before the call");
        const signal = AbortSignal.abort(reason);
        const viaAcquire = await settle(() =>
          within(a!.getLock(key).acquire({ signal }), s.prompt, "acquire"),
        );
        expect(viaAcquire.ok ? "acquired" : viaAcquire.error).toBe(reason);
        const viaTry = await settle(() =>
          within(a!.getLock(key).tryAcquire({ signal }), s.prompt, "tryAcquire"),
        );
        expect(viaTry.ok ? "resolved" : viaTry.error).toBe(reason);
        const other = await within(
          b!.getLock(key).tryAcquire(),
          s.prompt,
          "tryAcquire by another node",
        );
        expect(other, "a cancelled call left the key locked").toBeDefined();
        await other!.release();
      },
      s.testTimeout,
    );

    it(
      "cancellation: aborting during a wait rejects promptly with signal.reason",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("cancel-during");
        const held = await a!.getLock(key).acquire();
        const controller = new AbortController();
        const reason = new Error("cancelled during the wait");
        const waiting = settle(() => b!.getLock(key).acquire({ signal: controller.signal }));
        // 100 ms: the waiter is now inside its wait (queued, polling, subscribed or blocking).
        await sleep(s.ms(100));
        controller.abort(reason);
        const outcome = await within(waiting, s.prompt, "acquire after its signal aborted");
        expect(outcome.ok ? "acquired" : outcome.error).toBe(reason);
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "cancellation: a cancelled wait leaves nothing behind, another node takes the key at once",
      async () => {
        const [a, b, c] = await s.providers(3);
        const key = s.key("cancel-clean");
        const held = await a!.getLock(key).acquire();
        const controller = new AbortController();
        const waiting = settle(() => b!.getLock(key).acquire({ signal: controller.signal }));
        await sleep(s.ms(100));
        controller.abort(new Error("cancelled"));
        const outcome = await within(waiting, s.prompt, "cancelled acquire");
        expect(outcome.ok, "the cancelled acquire resolved").toBe(false);
        await held.release();
        const third = await within(
          c!.getLock(key).tryAcquire(),
          s.prompt,
          "tryAcquire by a third node",
        );
        expect(third, "the cancelled waiter left a lock or a claim behind").toBeDefined();
        await third!.release();
        const same = await within(
          b!.getLock(key).tryAcquire(),
          s.prompt,
          "tryAcquire by the cancelled node",
        );
        expect(same, "the cancelled node's own queue stayed blocked").toBeDefined();
        await same!.release();
      },
      s.testTimeout,
    );

    it(
      "cancellation: a timed-out wait leaves nothing behind, another node takes the key at once",
      async () => {
        const [a, b, c] = await s.providers(3);
        const key = s.key("timeout-clean");
        const held = await a!.getLock(key).acquire();
        const outcome = await settle(() =>
          within(b!.getLock(key).acquire({ timeout: s.ms(150) }), s.prompt + s.ms(150), "acquire"),
        );
        expect(outcome.ok, "acquire of a held key resolved").toBe(false);
        await held.release();
        const third = await within(
          c!.getLock(key).tryAcquire(),
          s.prompt,
          "tryAcquire by a third node",
        );
        expect(third, "the timed-out waiter left a lock behind").toBeDefined();
        await third!.release();
      },
      s.testTimeout,
    );

    it(
      "cancellation: aborting after the grant does not affect the granted lock",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("cancel-after");
        const controller = new AbortController();
        const handle = await within(
          a!.getLock(key).acquire({ signal: controller.signal }),
          s.prompt,
          "acquire",
        );
        controller.abort(new Error("too late"));
        // 50 ms: time for a (wrong) abort listener to run and release the lock.
        await sleep(s.ms(50));
        expect(handle.signal.aborted, "aborting the acquire signal aborted the handle").toBe(false);
        expect(handle.lost).toBe(false);
        expect(await s.isFree(b!, key), "the lock was released by a late abort").toBe(false);
        await handle.release();
      },
      s.testTimeout,
    );
  });
}
