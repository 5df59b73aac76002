/**
 * The checker: finds every pair of critical sections on one key that overlap in time and every
 * fencing token that goes backwards, and says for each whether a fault explains it or it is a
 * real violation.
 *
 * A lock service cannot stop a holder from running on after its lease ended: a paused or
 * partitioned holder does not know yet. That is why leases come with a `signal` and fencing
 * tokens. So an overlap is *explained* when the stale holder of the pair (the one with the older
 * token, or on backends without fencing the one that entered first) either was told it lost the
 * lock before it left the section, or was hit by a fault between calling `acquire()` and the
 * moment the other holder entered: its process paused or stalled, its connections killed, reset
 * or partitioned, its section overrunning the lease on purpose, or the server restarted or
 * frozen. Any other overlap is a real violation: two holders the service let overlap while
 * nothing went wrong.
 */
import type { FaultEvent, Section } from "./history.js";

/** Why an overlap or a stale token happened; the first that applies is reported as primary. */
export type Reason = FaultEvent["kind"] | "told-lost";

/** Order in which reasons are named as the primary one (the most direct cause first). */
const PRIORITY: readonly Reason[] = [
  "pause",
  "stall",
  "overrun",
  "partition",
  "kill",
  "reset",
  "restart",
  "freeze",
  "observed-stall",
  "told-lost",
];

/** A finding about two sections of one key. */
export interface Finding {
  readonly key: string;
  /** The section that was out of date: older token (or earlier entry without fencing). */
  readonly stale: Section;
  /** The other section. */
  readonly other: Section;
  /** Every reason that applies, most direct first; empty for a real violation. */
  readonly reasons: readonly Reason[];
}

/** What the checker concluded. */
export interface CheckResult {
  readonly sections: number;
  /** Pairs of sections on one key whose [enter, exit] intervals overlap. */
  readonly overlaps: number;
  /** Overlaps explained, by primary reason. */
  readonly explainedBy: Readonly<Partial<Record<Reason, number>>>;
  /** Distinct sections that were the stale side of at least one overlap. */
  readonly staleSections: number;
  /** Of {@link staleSections}, those whose holder had been told of the loss by its exit. */
  readonly staleSectionsTold: number;
  /** Overlaps no fault explains. */
  readonly violations: readonly Finding[];
  /**
   * Sections whose token is lower than that of a section that had already ended when they
   * entered: explained ones are stale handles (held through a fault), the rest are violations.
   */
  readonly tokenRegressions: number;
  readonly tokenRegressionsExplained: number;
  readonly fencingViolations: readonly Finding[];
  /** Tokens handed to more than one section of the same key: always a violation. */
  readonly duplicateTokens: readonly Finding[];
  /** How the fenced register answered the sections' writes. */
  readonly writes: Readonly<Record<Section["write"], number>>;
}

/** Options of {@link check}. */
export interface CheckOptions {
  /** The backend hands out fencing tokens (then tokens decide which holder was stale). */
  readonly fencing: boolean;
}

function reasonsFor(stale: Section, until: bigint, faults: readonly FaultEvent[]): Reason[] {
  const found = new Set<Reason>();
  for (const fault of faults) {
    const hitsProcess = fault.proc === undefined || fault.proc === stale.proc;
    if (hitsProcess && fault.start <= until && fault.end >= stale.acquireStart)
      found.add(fault.kind);
  }
  if (stale.overrun) found.add("overrun");
  if (stale.lostAt !== undefined) found.add("told-lost");
  return PRIORITY.filter((reason) => found.has(reason));
}

function groupByKey(sections: readonly Section[]): Map<string, Section[]> {
  const byKey = new Map<string, Section[]>();
  for (const section of sections) {
    const list = byKey.get(section.key);
    if (list) list.push(section);
    else byKey.set(section.key, [section]);
  }
  return byKey;
}

const byEnter = (a: Section, b: Section) => (a.enter < b.enter ? -1 : a.enter > b.enter ? 1 : 0);
const byExit = (a: Section, b: Section) => (a.exit < b.exit ? -1 : a.exit > b.exit ? 1 : 0);

function olderOf(a: Section, b: Section, fencing: boolean): [Section, Section] {
  if (fencing && a.token !== undefined && b.token !== undefined && a.token !== b.token) {
    return a.token < b.token ? [a, b] : [b, a];
  }
  return a.enter <= b.enter ? [a, b] : [b, a];
}

/** Checks a run's history; pure, so that it can be tested on histories built by hand. */
export function check(
  sections: readonly Section[],
  faults: readonly FaultEvent[],
  options: CheckOptions,
): CheckResult {
  let overlaps = 0;
  const explainedBy: Partial<Record<Reason, number>> = {};
  const violations: Finding[] = [];
  const staleSections = new Set<Section>();
  let tokenRegressions = 0;
  let tokenRegressionsExplained = 0;
  const fencingViolations: Finding[] = [];
  const duplicateTokens: Finding[] = [];
  const writes: Record<Section["write"], number> = {
    accepted: 0,
    stale: 0,
    unfenced: 0,
    error: 0,
  };
  for (const section of sections) writes[section.write] += 1;

  for (const [key, list] of groupByKey(sections)) {
    const entered = [...list].sort(byEnter);
    // Sweep by entry time, keeping the sections that have not ended yet.
    let open: Section[] = [];
    for (const section of entered) {
      open = open.filter((o) => o.exit > section.enter);
      for (const earlier of open) {
        overlaps += 1;
        const [stale, other] = olderOf(earlier, section, options.fencing);
        const reasons = reasonsFor(stale, other.enter, faults);
        staleSections.add(stale);
        const primary = reasons[0];
        if (primary === undefined) violations.push({ key, stale, other, reasons });
        else explainedBy[primary] = (explainedBy[primary] ?? 0) + 1;
      }
      open.push(section);
    }
    if (!options.fencing) continue;

    const byToken = new Map<bigint, Section>();
    for (const section of entered) {
      if (section.token === undefined) continue;
      const first = byToken.get(section.token);
      if (first) duplicateTokens.push({ key, stale: first, other: section, reasons: [] });
      else byToken.set(section.token, section);
    }
    // A section must carry a newer token than every section that ended before it entered.
    const ended = [...list].sort(byExit);
    let next = 0;
    let newest: Section | undefined;
    for (const section of entered) {
      while (next < ended.length && ended[next]!.exit < section.enter) {
        const done = ended[next]!;
        if (done.token !== undefined && (newest === undefined || done.token > newest.token!)) {
          newest = done;
        }
        next += 1;
      }
      if (newest === undefined || section.token === undefined || section.token >= newest.token!) {
        continue;
      }
      tokenRegressions += 1;
      // The stale handle was granted before `newest`: it must have been held up between its
      // acquire() call and its entry.
      const reasons = reasonsFor(section, section.enter, faults);
      if (reasons.length > 0) tokenRegressionsExplained += 1;
      else fencingViolations.push({ key, stale: section, other: newest, reasons });
    }
  }
  return {
    sections: sections.length,
    overlaps,
    explainedBy,
    staleSections: staleSections.size,
    staleSectionsTold: [...staleSections].filter((s) => s.lostAt !== undefined).length,
    violations,
    tokenRegressions,
    tokenRegressionsExplained,
    fencingViolations,
    duplicateTokens,
    writes,
  };
}

/** True when the run found nothing a fault does not explain. */
export function passed(result: CheckResult): boolean {
  return (
    result.violations.length === 0 &&
    result.fencingViolations.length === 0 &&
    result.duplicateTokens.length === 0
  );
}
