/** Turns a checked run into the JSON report and the summary table. */
import { type CheckResult, type Finding, passed } from "./checker.js";
import { ms } from "./clock.js";
import type { Section } from "./history.js";
import type { BackendRun } from "./run.js";

/** The JSON report of one backend. */
export interface BackendReport {
  readonly backend: string;
  readonly server: string;
  readonly mode: string;
  readonly seconds: number;
  readonly processes: number;
  readonly sections: number;
  readonly sectionsPerSecond: number;
  /** Faults injected, by kind (`overrun`: sections that overran their lease). */
  readonly faultsInjected: Record<string, number>;
  readonly faultsTotal: number;
  /** Event-loop gaps the workers saw that nobody injected (machine load, GC). */
  readonly observedStalls: number;
  readonly faultFailures: Record<string, number>;
  readonly faultRates: Record<string, number>;
  readonly overlaps: number;
  readonly overlapsExplained: Record<string, number>;
  /** Distinct sections that were the stale side of an overlap, and how many were told of the loss by their exit. */
  readonly staleSections: { total: number; told: number };
  readonly realViolations: number;
  readonly tokenRegressions: { total: number; explained: number; real: number };
  readonly duplicateTokens: number;
  readonly registerWrites: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly crashes: readonly string[];
  /** Cut short by SIGINT: the figures cover the part that ran. */
  readonly interrupted: boolean;
  readonly clock: BackendRun["clock"];
  /** Up to 10 of each kind of violation, for a human to read. */
  readonly examples: readonly object[];
  readonly passed: boolean;
}

const describeSection = (s: Section, origin: bigint) => ({
  worker: s.worker,
  proc: s.proc,
  token: s.token?.toString(),
  acquireStartMs: ms(s.acquireStart - origin),
  enterMs: ms(s.enter - origin),
  exitMs: ms(s.exit - origin),
  lostAtMs: s.lostAt === undefined ? undefined : ms(s.lostAt - origin),
  overrun: s.overrun,
  write: s.write,
});

const describe = (what: string, findings: readonly Finding[], origin: bigint) =>
  findings.slice(0, 10).map((f) => ({
    what,
    key: f.key,
    stale: describeSection(f.stale, origin),
    other: describeSection(f.other, origin),
  }));

/** The report of one backend's run and its check. */
export function report(run: BackendRun, result: CheckResult): BackendReport {
  const faultsInjected: Record<string, number> = {};
  let observedStalls = 0;
  for (const fault of run.faults) {
    if (fault.kind === "observed-stall") observedStalls += 1;
    else faultsInjected[fault.kind] = (faultsInjected[fault.kind] ?? 0) + 1;
  }
  const overruns = run.sections.filter((s) => s.overrun).length;
  if (overruns > 0) faultsInjected.overrun = overruns;
  // Examples show times relative to the first acquire() (bigints: no Math.min).
  let origin = run.sections[0]?.acquireStart ?? 0n;
  for (const s of run.sections) if (s.acquireStart < origin) origin = s.acquireStart;
  const crashes = [...run.crashes];
  const unhandled = Object.keys(run.errors).filter((e) => e.startsWith("unhandled"));
  const ok =
    passed(result) &&
    !run.interrupted &&
    crashes.length === 0 &&
    unhandled.length === 0 &&
    run.sections.length > 0;
  return {
    backend: run.backend,
    server: run.server,
    mode: run.mode,
    seconds: Math.round(run.elapsed / 100) / 10,
    processes: run.processes,
    sections: run.sections.length,
    sectionsPerSecond: Math.round((run.sections.length / run.elapsed) * 1000),
    faultsInjected,
    faultsTotal: Object.values(faultsInjected).reduce((a, b) => a + b, 0),
    observedStalls,
    faultFailures: run.faultFailures,
    faultRates: run.rates,
    overlaps: result.overlaps,
    overlapsExplained: result.explainedBy,
    staleSections: { total: result.staleSections, told: result.staleSectionsTold },
    realViolations: result.violations.length,
    tokenRegressions: {
      total: result.tokenRegressions,
      explained: result.tokenRegressionsExplained,
      real: result.fencingViolations.length,
    },
    duplicateTokens: result.duplicateTokens.length,
    registerWrites: result.writes,
    errors: run.errors,
    crashes,
    interrupted: run.interrupted,
    clock: run.clock,
    examples: [
      ...describe("overlap", result.violations, origin),
      ...describe("token regression", result.fencingViolations, origin),
      ...describe("duplicate token", result.duplicateTokens, origin),
    ],
    passed: ok,
  };
}

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "none";

/** A Markdown table, one column per backend. */
export function table(reports: readonly BackendReport[]): string {
  const rows: Array<[string, (r: BackendReport) => string]> = [
    ["server", (r) => `${r.server} (${r.mode})`],
    ["run", (r) => `${r.seconds} s, ${r.processes} processes`],
    ["critical sections", (r) => `${r.sections} (${r.sectionsPerSecond}/s)`],
    ["faults injected", (r) => `${r.faultsTotal}: ${counts(r.faultsInjected)}`],
    ["observed stalls (not injected)", (r) => String(r.observedStalls)],
    ["fault failures", (r) => counts(r.faultFailures)],
    ["overlapping pairs", (r) => String(r.overlaps)],
    ["… explained by (primary reason)", (r) => counts(r.overlapsExplained)],
    [
      "stale holders in overlaps (told of the loss by exit)",
      (r) => `${r.staleSections.total} (${r.staleSections.told})`,
    ],
    ["**real violations**", (r) => `**${r.realViolations}**`],
    [
      "token regressions (explained / **real**)",
      (r) => `${r.tokenRegressions.explained} / **${r.tokenRegressions.real}**`,
    ],
    ["duplicate tokens", (r) => String(r.duplicateTokens)],
    ["register writes", (r) => counts(r.registerWrites)],
    ["errors outside sections", (r) => counts(r.errors)],
    ["crashed / hung workers", (r) => String(r.crashes.length)],
    ["clock check", (r) => `${r.clock.bracketed}/${r.clock.pings} in order`],
    ["result", (r) => (r.interrupted ? "interrupted" : r.passed ? "pass" : "**FAIL**")],
  ];
  const head = `| | ${reports.map((r) => r.backend).join(" | ")} |`;
  const rule = `|---|${reports.map(() => "---").join("|")}|`;
  const body = rows.map(([label, cell]) => `| ${label} | ${reports.map(cell).join(" | ")} |`);
  return [head, rule, ...body].join("\n");
}
