import { appendFileSync } from "node:fs";
import { logLine } from "./log.js";
import type { ServerMode } from "./types.js";

/**
 * Environment variable naming a file to which every test process appends, once per backend,
 * whether it got a server: one JSON object per line ({@link RunReportEntry}). A runner that
 * spans several test processes (the repository's `pnpm test`) sets it and summarises the file
 * at the end, so a skipped backend is named once after everything else has scrolled by.
 */
export const RUN_REPORT_ENV = "LOCKS_TEST_REPORT";

/** One line of the run report. */
export interface RunReportEntry {
  /** The backend (`redis`, `mysql`, …) or another group of tests that needs a server. */
  readonly backend: string;
  /** Whether a server was found. */
  readonly ok: boolean;
  /** Where the server came from, when `ok`. */
  readonly mode?: ServerMode;
  /** Why there is none, when not `ok`. */
  readonly reason?: string;
  /** Whether the missing server fails the run (`CI=true`) instead of skipping its tests. */
  readonly fails?: boolean;
  /** Directory of the test process (the package whose tests asked). */
  readonly cwd: string;
}

/** Report files that could not be written: warned about once, then left alone. */
const broken = new Set<string>();

/** Appends one entry to the file named by `LOCKS_TEST_REPORT`; does nothing when it is unset. */
export function reportToRun(env: NodeJS.ProcessEnv, entry: Omit<RunReportEntry, "cwd">): void {
  const file = env[RUN_REPORT_ENV]?.trim();
  if (!file || broken.has(file)) return;
  try {
    appendFileSync(file, `${JSON.stringify({ ...entry, cwd: process.cwd() })}\n`);
  } catch (error) {
    // The report is a convenience; a test run never fails because it cannot be written.
    broken.add(file);
    logLine(`cannot write ${RUN_REPORT_ENV}=${file}: ${(error as Error).message}`);
  }
}

/** True when `CI` says a missing server must fail the run rather than skip its tests. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = (env.CI ?? "").toLowerCase();
  return ci === "true" || ci === "1";
}
