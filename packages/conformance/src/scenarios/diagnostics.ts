import { describe, expect, it } from "vitest";
import { aborted, settle, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { isErrorNamed } from "../error-match.js";
import { SKIP } from "../skip-reasons.js";
import { record } from "./diagnostics-record.js";

/**
 * Observability: every documented channel fires with its documented payload. Keys in messages
 * are the keys as the application gave them (no provider prefix), so the scenario uses a prefix.
 */
export function diagnosticsScenarios(s: SuiteContext): void {
  describe("diagnostics", () => {
    it(
      "diagnostics: acquire start/end (acquired, unavailable, timeout, aborted), extend and release publish their documented payloads",
      async () => {
        const [a, b] = await s.providers(2, { prefix: "diag:" });
        const key = s.key("diagnostics");
        const recorder = record([key]);
        try {
          const handle = await within(
            a!.getLock(key).acquire({ timeout: s.prompt }),
            s.prompt * 2,
            "acquire",
          );
          expect(
            await within(b!.getLock(key).tryAcquire(), s.prompt, "tryAcquire"),
          ).toBeUndefined();
          await settle(() => b!.getLock(key).acquire({ timeout: s.ms(50) }));
          const controller = new AbortController();
          const abortedWait = settle(() => b!.getLock(key).acquire({ signal: controller.signal }));
          await sleep(s.ms(20));
          controller.abort(new Error("stop waiting"));
          await within(abortedWait, s.prompt, "aborted acquire");
          await within(handle.extend(s.ms(30_000)), s.prompt, "extend");
          await sleep(s.ms(5));
          await within(handle.release(), s.prompt, "release");
          await sleep(0);

          const starts = recorder.messages.get("acquireStart")!;
          const ends = recorder.messages.get("acquireEnd")!;
          const backend = starts[0]?.backend;
          expect(typeof backend === "string" && backend !== "", "backend names the backend").toBe(
            true,
          );
          expect(
            starts.map((m) => m.timeout),
            "acquire:start { timeout } of each call",
          ).toEqual([s.prompt, 0, s.ms(50), Number.POSITIVE_INFINITY]);
          expect(
            ends.map((m) => m.outcome),
            "acquire:end outcomes, in order",
          ).toEqual(["acquired", "unavailable", "timeout", "aborted"]);
          for (const m of [...starts, ...ends]) {
            expect(m.key, "messages carry the key without the provider prefix").toBe(key);
            expect(m.backend).toBe(backend);
          }
          for (const m of ends) {
            expect(typeof m.waitedMs === "number" && m.waitedMs >= 0, "waitedMs").toBe(true);
          }
          expect(ends[0]!.fencingToken, "acquire:end { fencingToken } of the grant").toBe(
            handle.fencingToken,
          );
          expect(ends[2]!.waitedMs as number, "a timed-out wait's waitedMs").toBeGreaterThanOrEqual(
            s.ms(50) - 5,
          );
          expect(ends[3]!.error, "an aborted wait's error is the abort reason").toBe(
            controller.signal.reason,
          );

          const extends_ = recorder.messages.get("extend")!.filter((m) => m.automatic === false);
          expect(extends_.length, "one manual extend").toBe(1);
          expect(extends_[0]).toMatchObject({ key, backend, ttl: s.ms(30_000), automatic: false });
          expect(extends_[0]!.outcome, "locks:extend { outcome } of a renewal").toBe("extended");

          const releases = recorder.messages.get("release")!;
          expect(releases.length, "one release message").toBe(1);
          expect(releases[0]).toMatchObject({ key, backend, stillHeld: true });
          expect(releases[0]!.heldMs as number, "heldMs").toBeGreaterThanOrEqual(0);
          expect(recorder.messages.get("lost"), "nothing was lost").toEqual([]);
        } finally {
          recorder.stop();
        }
      },
      s.testTimeout,
    );

    it(
      "diagnostics: automatic renewals publish extend { automatic: true }, and a lost lock publishes lost { error: LockLostError }",
      async (ctx) => {
        const provider = await s.provider();
        const breakLock = s.faults.breakLock;
        if (!provider.capabilities.leases && !breakLock) {
          ctx.skip(`${SKIP.noLeases}, and ${SKIP.noHook("breakLock")}`);
        }
        const key = s.key("diagnostics-lost");
        const recorder = record([key]);
        try {
          const ttl = s.minTtl;
          // With breakLock, the renewing handle is broken; without it, a second handle that is
          // not renewed runs out its lease.
          const renewing = await provider.getLock(key, { ttl }).acquire();
          const renewals = () =>
            recorder.messages.get("extend")!.filter((m) => m.automatic === true);
          if (provider.capabilities.leases) {
            // About every ttl/3: two ttls leave room for several.
            await within(
              (async () => {
                while (renewals().length === 0) await sleep(10);
              })(),
              ttl * 2 + s.prompt,
              "an automatic renewal",
            );
            expect(renewals()[0]).toMatchObject({ key, ttl, automatic: true });
            expect(renewals()[0]!.outcome, "locks:extend { outcome } of a renewal").toBe(
              "extended",
            );
          }
          let handle = renewing;
          if (breakLock) await breakLock(key);
          else {
            await renewing.release();
            handle = await provider.getLock(key, { ttl, autoExtend: false }).acquire();
          }
          const reason = await aborted(
            handle.signal,
            Math.max(ttl * 3, s.ms(1_000)) + s.prompt,
            "the lost handle's signal",
          );
          await sleep(0);
          const lost = recorder.messages.get("lost")!;
          expect(lost.length, "one lost message").toBe(1);
          expect(lost[0]!.key).toBe(key);
          expect(typeof lost[0]!.backend).toBe("string");
          expect(
            isErrorNamed(lost[0]!.error, "LockLostError"),
            "lost { error } is a LockLostError",
          ).toBe(true);
          expect(lost[0]!.error, "lost { error } is the signal's reason").toBe(reason);
          await handle.release();
        } finally {
          recorder.stop();
        }
      },
      s.testTimeout,
    );
  });
}
