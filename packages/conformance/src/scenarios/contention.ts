import { describe, expect, it } from "vitest";
import { within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { criticalSection } from "../critical-section.js";
import { FencedResource } from "../fenced-resource.js";
import { describeOverlap, HoldHistory } from "../hold-history.js";
import { SKIP } from "../skip-reasons.js";
import { expectFencedRun } from "./expect-fenced.js";

/** Providers, local workers per provider and critical sections per worker (before scaling). */
export const IN_PROCESS_CONTENTION = {
  providers: 4,
  workersPerProvider: 2,
  sectionsPerWorker: 150,
};

interface ContentionRun {
  history: HoldHistory;
  resource: FencedResource;
  sections: number;
  expected: number;
  lostDuringSection: number;
  durationMs: number;
}

/**
 * Contention inside this process: several providers (nodes) × several local workers × many
 * acquisitions of one key, checked by the history checker (no two holds overlap) and the
 * fenced-resource oracle (no write with a token older than one already seen).
 */
export function contentionScenarios(s: SuiteContext): void {
  let run: Promise<ContentionRun> | undefined;

  async function contend(): Promise<ContentionRun> {
    const { providers: count, workersPerProvider } = IN_PROCESS_CONTENTION;
    const perWorker = Math.max(
      1,
      Math.round(IN_PROCESS_CONTENTION.sectionsPerWorker * s.contentionScale),
    );
    const providers = await s.providers(count);
    const key = s.key("contention");
    const history = new HoldHistory();
    const resource = new FencedResource();
    let sections = 0;
    let lostDuringSection = 0;
    const started = performance.now();
    // Where each worker is and since when, so that a run that overruns its bound tells a hang
    // (workers stuck in one step) from a slow but progressing run.
    const steps = new Map<string, { step: string; since: number }>();
    const workers = providers.flatMap((provider, p) =>
      Array.from({ length: workersPerProvider }, async (_, w) => {
        const holder = `provider ${p} / worker ${w}`;
        const onStep = (step: string) => steps.set(holder, { step, since: performance.now() });
        for (let i = 0; i < perWorker; i++) {
          const section = await criticalSection(
            provider,
            key,
            holder,
            s.ms(30_000),
            resource,
            onStep,
          );
          history.record({ holder, start: section.start, end: section.end, token: section.token });
          if (section.lost) lostDuringSection++;
          sections++;
        }
        onStep("done");
      }),
    );
    // Budget: 1,200 sections take 5–15 s on a local Redis or MariaDB and 25–35 s on FerretDB
    // (polled) while other suites run; 120 s (scaled) is a hang guard, and when it fires the
    // error says how far the run got and where each worker is.
    const expected = count * workersPerProvider * perWorker;
    try {
      await within(Promise.all(workers), s.ms(120_000), "in-process contention run");
    } catch (error) {
      const at = performance.now();
      const where = [...steps]
        .map(([holder, { step, since }]) => `${holder} in ${step} for ${Math.round(at - since)} ms`)
        .join("; ");
      const progress = `${sections} of ${expected} sections done`;
      throw new Error(`${(error as Error).message}: ${progress}; ${where}`, { cause: error });
    }
    return {
      history,
      resource,
      sections,
      expected,
      lostDuringSection,
      durationMs: performance.now() - started,
    };
  }

  const contentionTimeout = () => s.ms(150_000);

  describe("contention (in-process)", () => {
    it(
      "mutual exclusion under contention: no two holds overlap (history checker), every section completes",
      async (ctx) => {
        run ??= contend();
        const result = await run;
        await ctx.annotate?.(
          `${result.sections} critical sections across ${IN_PROCESS_CONTENTION.providers} providers × ${IN_PROCESS_CONTENTION.workersPerProvider} workers in one process in ${Math.round(result.durationMs)} ms`,
          "contention",
        );
        const overlaps = result.history.overlaps();
        expect(overlaps.map(describeOverlap), "overlapping holds").toEqual([]);
        expect(result.sections).toBe(result.expected);
        expect(result.lostDuringSection, "locks lost in the middle of a section").toBe(0);
      },
      contentionTimeout(),
    );

    it(
      "fencing under contention: the fenced-resource oracle rejects no write and tokens grow in hold order",
      async (ctx) => {
        const capabilities = await s.capabilities();
        if (!capabilities.fencing) {
          ctx.skip(SKIP.noFencingOracle);
        }
        run ??= contend();
        expectFencedRun(await run);
      },
      contentionTimeout(),
    );
  });
}
