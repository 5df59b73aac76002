import type { Reporter, TestModule } from "vitest/node";
import { NOT_SELECTED } from "../variants.js";

interface BackendTally {
  passed: number;
  failed: number;
  skipped: number;
  /** Skip reason → number of scenarios skipped for it. */
  reasons: Map<string, number>;
  /** What each fault scenario saw (its `fault-outcome` annotations). */
  outcomes: string[];
}

/** The command that prepares every server and runs every test (the README's quick start). */
const ALL_SERVERS_COMMAND = "pnpm test:all";

/**
 * Prints one line per backend after the run: passed / failed / skipped, why scenarios were
 * skipped, and what each fault scenario saw (lock kept or reported lost). The backend is the
 * outermost `describe` of each test, i.e. the `name` given to `describeLockProvider`. A backend
 * whose every scenario was skipped had no server (no capability rules out every scenario): its
 * line says so and names the command that runs it, unless its one skip is a variant left out by
 * `LOCKS_CONFORMANCE_VARIANTS=one` (see `variants.ts`).
 */
export default class ConformanceSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const backends = new Map<string, BackendTally>();
    const broken: string[] = [];
    for (const module of testModules) {
      // A file that failed to load (missing package, syntax error) has no tests to count: say so.
      for (const error of module.errors()) {
        broken.push(`  ${module.relativeModuleId}: could not run: ${error.message.split("\n")[0]}`);
      }
      for (const test of module.children.allTests()) {
        let suite = test.parent;
        while (suite.type === "suite" && suite.parent.type === "suite") suite = suite.parent;
        const backend = suite.type === "suite" ? suite.name : module.moduleId;
        let tally = backends.get(backend);
        if (!tally) {
          tally = { passed: 0, failed: 0, skipped: 0, reasons: new Map(), outcomes: [] };
          backends.set(backend, tally);
        }
        for (const annotation of test.annotations()) {
          if (annotation.type === "fault-outcome") tally.outcomes.push(annotation.message);
        }
        const result = test.result();
        if (result.state === "passed") tally.passed++;
        else if (result.state === "failed") tally.failed++;
        else if (result.state === "skipped") {
          tally.skipped++;
          const reason = result.note ?? "no reason given";
          tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
        }
      }
    }
    if (backends.size === 0 && broken.length === 0) return;
    const width = Math.max(0, ...[...backends.keys()].map((name) => name.length));
    const lines = ["", "Conformance summary"];
    for (const [name, tally] of backends) {
      const none = tally.passed === 0 && tally.failed === 0 && tally.skipped > 0;
      const notSelected =
        none && [...tally.reasons.keys()].every((reason) => reason.startsWith(NOT_SELECTED));
      const verdict = notSelected
        ? ": variant not selected, another of this file ran"
        : none
          ? `: SKIPPED, no server (runs with: ${ALL_SERVERS_COMMAND})`
          : "";
      lines.push(
        `  ${name.padEnd(width)}  ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped${verdict}`,
      );
      for (const [reason, count] of tally.reasons)
        lines.push(`  ${" ".repeat(width)}    skipped ${count}: ${reason}`);
      for (const outcome of tally.outcomes)
        lines.push(`  ${" ".repeat(width)}    fault: ${outcome}`);
    }
    lines.push(...broken);
    process.stdout.write(`${lines.join("\n")}\n\n`);
  }
}
