import { describe, expect, it } from "vitest";
import { aborted, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { describeError, isErrorNamed } from "../error-match.js";
import { SKIP } from "../skip-reasons.js";
import { recordOutcome } from "./annotate.js";

/**
 * A silent partition (`faults.partition`): the holder's connections stay open on its side but
 * carry nothing, and nobody tells it, like a half-open connection whose server already ended the
 * session. Another node must get the key (after the lease runs out on the server, or at once where
 * the server ended the session), and the holder must report the lock lost within its bound: its
 * lease's ttl, counted from the last renewal it sent, on a backend with leases; its liveness bound
 * (option `livenessBound`: validateInterval plus the check's own time limit) on one without. A liveness check that hangs
 * on the silent connection and never reports is what this catches.
 */
export function partitionScenarios(s: SuiteContext): void {
  const leaseTtl = () => s.minTtl * 3;
  /** Bound for a backend without leases: its documented liveness bound, plus a margin. */
  const sessionBound = () => s.ms(s.livenessBound) + s.prompt;
  /** Timer slack allowed past a lease deadline on a loaded machine. */
  const slack = () => s.ms(100);

  describe("partition (half-open connections)", () => {
    it(
      "partition: a silently partitioned holder reports the lock lost within its bound while another node takes it",
      async (ctx) => {
        const partition = s.faults.partition;
        if (!partition) ctx.skip(SKIP.noHook("partition"));
        const [a, b] = await s.providers(2);
        const leases = a!.capabilities.leases;
        const key = s.key("partition");
        const ttl = leaseTtl();
        const handle = await within(a!.getLock(key, { ttl }).acquire(), s.prompt, "acquire");
        const bound = leases ? ttl : sessionBound();
        // Long enough for the other node to get in and for the holder to notice, with room to spare.
        const length = bound + s.prompt * 2;
        const cutAt = performance.now();
        await partition!(a!, length);
        // Every renewal the holder sent was sent before the cut, so its lease ends by cutAt + ttl.
        const next = await within(
          b!.getLock(key).acquire({ timeout: bound + s.patient }),
          bound + s.patient + s.prompt,
          "acquire by another node while the holder is partitioned",
        );
        const takenAfter = performance.now() - cutAt;
        const knewAtTakeover = handle.lost;
        const reason = await aborted(
          handle.signal,
          Math.max(0, cutAt + bound - performance.now()) + slack(),
          `the partitioned holder's signal (bound ${Math.round(bound)} ms after the cut)`,
        );
        const lostAfter = performance.now() - cutAt;
        await recordOutcome(
          ctx,
          `partition: another node took the key after ${Math.round(takenAfter)} ms; the holder reported the lock lost ${knewAtTakeover ? "before that" : `after ${Math.round(lostAfter)} ms`}`,
        );
        expect(
          isErrorNamed(reason, "LockLostError"),
          `signal reason: ${describeError(reason)}`,
        ).toBe(true);
        expect(handle.lost).toBe(true);
        if (leases) {
          expect(
            knewAtTakeover || lostAfter <= ttl + slack(),
            "the holder still believed it held the lock after its lease had run out and another node took it",
          ).toBe(true);
        }
        await next.release();
        const release = await within(
          handle.release().then(
            () => undefined,
            (error: unknown) => error,
          ),
          length + s.patient,
          "release of the partitioned handle",
        );
        expect(release, "release() of a lost lock threw").toBeUndefined();
        // Recovery: once the partition heals, the provider locks again.
        // 100 ms past the heal: the reset of the partitioned connections has reached the client.
        await sleep(Math.max(0, cutAt + length - performance.now()) + s.ms(100));
        const again = await within(
          a!.getLock(s.key("partition-recovered")).acquire({ timeout: s.patient }),
          s.patient + s.prompt,
          "acquire on the provider after the partition healed",
        );
        await again.release();
      },
      s.testTimeout + s.ms(30_000),
    );
  });
}
