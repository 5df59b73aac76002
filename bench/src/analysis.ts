/** Turns raw samples into the figures the tables show. */
import type { ContendedRun, Section } from "./scenarios.js";
import { jain, percentile } from "./stats.js";

/** Figures of scenario 3 (and the hand-off samples of scenario 4) for one implementation. */
export interface ContendedFigures {
  /** Completed critical sections per second. */
  sectionsPerSec: number;
  /** Wait before entry, ms (waits still running at the end count with their length so far). */
  waitP50: number;
  waitP99: number;
  /** Longest wait, ms: a starved worker shows here, not in the p99. */
  waitMax: number;
  /** Fewest and most critical sections of one worker, per round. */
  workerMin: number;
  workerMax: number;
  /** Jain's fairness index over per-worker counts of critical sections. */
  fairness: number;
  /** Release → entry of a different worker already waiting at that release, ms. */
  handoffP50: number;
  handoffP99: number;
  handoffSamples: number;
  sections: number;
  /** Pairs of critical sections that overlapped in time: must be 0 for a lock. */
  overlaps: number;
  errors: number;
  stragglers: number;
}

/** Pools the runs (rounds × processes) of one implementation at one worker count. */
export function analyseContended(
  runs: ReadonlyArray<{ parts: ContendedRun[]; durationMs: number }>,
  workers: number,
): ContendedFigures {
  let totalSections = 0;
  let totalMs = 0;
  const waits: number[] = [];
  const handoffs: number[] = [];
  const counts = new Array<number>(workers).fill(0);
  let overlaps = 0;
  let errors = 0;
  let stragglers = 0;
  for (const run of runs) {
    const sections: Section[] = run.parts.flatMap((p) => p.sections);
    sections.sort((a, b) => a.enter - b.enter);
    totalSections += sections.length;
    totalMs += run.durationMs;
    for (const part of run.parts) {
      waits.push(...part.unfinishedWaits);
      errors += part.errors;
      stragglers += part.stragglers;
    }
    for (let i = 0; i < sections.length; i++) {
      const s = sections[i]!;
      waits.push(s.enter - s.waitStart);
      counts[s.worker] = (counts[s.worker] ?? 0) + 1;
      const previous = sections[i - 1];
      if (previous && s.enter < previous.exit) overlaps++;
      // Hand-off of this release: the first later entry by another worker that was already
      // waiting when it was released (others may barge in first; their entries do not count).
      for (let j = i + 1; j < sections.length; j++) {
        const next = sections[j]!;
        if (next.worker !== s.worker && next.waitStart < s.exit) {
          handoffs.push(next.enter - s.exit);
          break;
        }
      }
    }
  }
  return {
    sectionsPerSec: totalMs > 0 ? (totalSections * 1000) / totalMs : Number.NaN,
    waitP50: percentile(waits, 50),
    waitP99: percentile(waits, 99),
    waitMax: waits.length > 0 ? waits.reduce((a, b) => Math.max(a, b)) : Number.NaN,
    workerMin: runs.length > 0 ? Math.min(...counts) / runs.length : Number.NaN,
    workerMax: runs.length > 0 ? Math.max(...counts) / runs.length : Number.NaN,
    fairness: jain(counts),
    handoffP50: percentile(handoffs, 50),
    handoffP99: percentile(handoffs, 99),
    handoffSamples: handoffs.length,
    sections: totalSections,
    overlaps,
    errors,
    stragglers,
  };
}
