// vitest reporter for every test run in this repository: when LOCKS_TEST_REPORT names a file
// (`pnpm test` sets it), appends one line per run with every skipped test and its reason (the
// note given to `ctx.skip(note)`; null for a test skipped by `it.skip`/`describe.skipIf`). The
// run report already says which backends had no server; this says which tests did not run, so
// that `pnpm test`'s summary can hold an all-servers run's skips to the README's list.
import { appendFileSync } from "node:fs";

export default class SkipReporter {
  onTestRunEnd(testModules) {
    const file = process.env.LOCKS_TEST_REPORT?.trim();
    if (!file) return;
    const skipped = [];
    let ran = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== "skipped") {
          ran++;
          continue;
        }
        skipped.push({
          file: module.relativeModuleId,
          test: test.fullName,
          reason: result.note ?? null,
        });
      }
    }
    try {
      appendFileSync(file, `${JSON.stringify({ tests: { ran, skipped }, cwd: process.cwd() })}\n`);
    } catch (error) {
      // Like the run report: a convenience that never fails a test run.
      console.error(`[skip-reporter] cannot write LOCKS_TEST_REPORT=${file}: ${error.message}`);
    }
  }
}
