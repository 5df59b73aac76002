/**
 * `pnpm chaos`: worker processes contend for locks on real servers while faults are injected;
 * every critical section is recorded and checked. Exits 1 on a real violation, a crashed or hung
 * worker, an unhandled rejection, or a run without a single section; 2 on a bad command line.
 */
import { writeFileSync } from "node:fs";
import { createTestServers } from "@locks/testing";
import { BACKENDS } from "./backends/index.js";
import { check } from "./checker.js";
import { type ChaosOptions, parseOptions, USAGE, UsageError } from "./options.js";
import { type BackendReport, report, table } from "./report.js";
import { type BackendRun, runBackend } from "./run.js";

const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);

function testServers() {
  // Like the bench: URLs from the environment when set, else local binaries; containers only
  // when LOCKS_TEST_MODE asks for them.
  const env = { ...process.env };
  if (!env.LOCKS_TEST_MODE?.trim()) {
    const anyUrl = [
      "LOCKS_REDIS_URL",
      "LOCKS_REDIS_URLS",
      "LOCKS_MYSQL_URL",
      "LOCKS_MONGO_URL",
    ].some((v) => env[v]?.trim());
    env.LOCKS_TEST_MODE = anyUrl ? "auto" : "local";
  }
  return createTestServers({ env, broker: false });
}

/** Every section and fault as JSON lines (bigints as strings), to re-check or plot later. */
function writeHistory(file: string, run: BackendRun): void {
  const line = (value: object) =>
    JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  const lines = [
    ...run.sections.map((s) => line({ type: "section", ...s })),
    ...run.faults.map((f) => line({ type: "fault", ...f })),
  ];
  writeFileSync(file, `${lines.join("\n")}\n`);
}

async function main(options: ChaosOptions): Promise<number> {
  const servers = testServers();
  const interrupted = new AbortController();
  // SIGTERM too: a coordinator that died without this would leave its workers behind, and a
  // worker paused (SIGSTOP) at that moment would stay stopped.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping workers and servers`);
      interrupted.abort();
    });
  }
  const reports: BackendReport[] = [];
  let failures = 0;
  try {
    const runs = await Promise.allSettled(
      options.backends.map(async (name) => {
        const run = await runBackend(name, options, servers, log, interrupted.signal);
        if (options.history) writeHistory(options.history, run);
        const result = check(run.sections, run.faults, { fencing: BACKENDS[name]!.fencing });
        return report(run, result);
      }),
    );
    runs.forEach((outcome, i) => {
      if (outcome.status === "fulfilled") reports.push(outcome.value);
      else {
        failures += 1;
        log(
          `${options.backends[i]}: run failed: ${outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)}`,
        );
      }
    });
  } finally {
    await servers.stop();
  }
  const json = JSON.stringify(
    { settings: { ...options, sections: String(options.sections) }, reports },
    null,
    2,
  );
  if (reports.length > 0) process.stdout.write(`${table(reports)}\n\n${json}\n`);
  if (options.json) writeFileSync(options.json, `${json}\n`);
  const failed = reports.filter((r) => !r.passed);
  for (const r of failed) log(`${r.backend}: FAIL (see "examples" in the JSON)`);
  return failures > 0 || failed.length > 0 ? 1 : 0;
}

let options: ChaosOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  if (error.message) process.stderr.write(`chaos: ${error.message}\n\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(error.message ? 2 : 0);
}
main(options).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
