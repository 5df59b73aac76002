import { describe, expect, it } from "vitest";
import type { SuiteContext } from "../context.js";
import { type CrossProcessResult, runCrossProcess } from "../cross-process.js";
import { describeOverlap } from "../hold-history.js";
import { SKIP } from "../skip-reasons.js";
import { expectFencedRun } from "./expect-fenced.js";

/** Child processes × providers per child × sections per provider (before scaling). */
export const CROSS_PROCESS_CONTENTION = {
  children: 2,
  providersPerChild: 2,
  sectionsPerProvider: 200,
};

/**
 * Contention across processes: each child process builds its own providers from the suite's
 * `child` recipe and contends for one key; the parent checks the reported hold intervals (history
 * checker, on the machine's shared monotonic clock) and serves the fenced resource (oracle).
 */
export function crossProcessScenarios(s: SuiteContext): void {
  let run: Promise<CrossProcessResult> | undefined;

  async function skipReason(): Promise<string | undefined> {
    if (!s.options.child) return SKIP.noChild;
    if (!(await s.capabilities()).distributed) {
      return SKIP.notDistributed;
    }
    return undefined;
  }

  function start(): Promise<CrossProcessResult> {
    const { children, providersPerChild, sectionsPerProvider } = CROSS_PROCESS_CONTENTION;
    run ??= runCrossProcess({
      recipe: s.options.child!,
      key: s.key("cross-process"),
      children,
      providersPerChild,
      iterations: Math.max(1, Math.round(sectionsPerProvider * s.contentionScale)),
      acquireTimeout: s.ms(30_000),
      // 800 sections take a few seconds on a local server; child start-up (module loading, tsx)
      // adds a few more. 150 s (scaled) is only a guard against a hang.
      deadline: s.ms(150_000),
    });
    return run;
  }

  const expected = () =>
    CROSS_PROCESS_CONTENTION.children *
    CROSS_PROCESS_CONTENTION.providersPerChild *
    Math.max(1, Math.round(CROSS_PROCESS_CONTENTION.sectionsPerProvider * s.contentionScale));

  describe("contention (cross-process)", () => {
    it(
      "mutual exclusion across processes: no two holds overlap (history checker), every section completes",
      async (ctx) => {
        const reason = await skipReason();
        if (reason) ctx.skip(reason);
        const result = await start();
        await ctx.annotate?.(
          `${result.sections} critical sections across ${CROSS_PROCESS_CONTENTION.children} processes × ${CROSS_PROCESS_CONTENTION.providersPerChild} providers in ${Math.round(result.durationMs)} ms`,
          "contention",
        );
        expect(result.history.overlaps().map(describeOverlap), "overlapping holds").toEqual([]);
        expect(result.sections).toBe(expected());
        expect(result.lostDuringSection, "locks lost in the middle of a section").toBe(0);
      },
      s.ms(180_000),
    );

    it(
      "fencing across processes: the fenced-resource oracle rejects no write and tokens grow in hold order",
      async (ctx) => {
        const reason = await skipReason();
        if (reason) ctx.skip(reason);
        if (!(await s.capabilities()).fencing) {
          ctx.skip(SKIP.noFencingOracle);
        }
        expectFencedRun(await start());
      },
      s.ms(180_000),
    );
  });
}
