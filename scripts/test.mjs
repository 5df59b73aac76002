// `pnpm test`: every package's tests (turbo, one package at a time), then a closing summary
// that names each backend whose tests were skipped because no server could be had, why, and
// the one command that runs them against real servers.
//
// `@locks/testing` appends one line per backend and test process to the file named by
// LOCKS_TEST_REPORT (whether it got a server, or why not), and every package's vitest run
// appends one line with its skipped tests and their reasons (scripts/skip-reporter.mjs); this
// script sets that variable for the run, reads the file at the end, prints the summary and
// writes it as JSON to .tmp/test-summary.json (or LOCKS_TEST_SUMMARY_OUT). A backend added to `@locks/testing`
// appears here without any change. Arguments are passed to `turbo run test`
// (e.g. `pnpm test --filter=@locks/redis`). The exit code is turbo's.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The command that prepares every server and runs every test (see the README quick start). */
const ALL_SERVERS_COMMAND = "pnpm test:all";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const reportDir = mkdtempSync(join(tmpdir(), "locks-test-report-"));
const reportFile = join(reportDir, "report.jsonl");
writeFileSync(reportFile, "");

// The workspace's turbo, also when this script is run with plain `node`.
const localTurbo = join(root, "node_modules", ".bin", "turbo");
const run = spawnSync(
  existsSync(localTurbo) ? localTurbo : "turbo",
  ["run", "test", "--concurrency=1", ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, LOCKS_TEST_REPORT: reportFile },
  },
);
if (run.error) {
  console.error(`could not run turbo: ${run.error.message} (run pnpm install first)`);
  process.exit(1);
}

const summary = summarise(readReport(reportFile));
rmSync(reportDir, { recursive: true, force: true });
const out = process.env.LOCKS_TEST_SUMMARY_OUT || join(root, ".tmp", "test-summary.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ ...summary, exitCode: run.status }, null, 2)}\n`);
process.stdout.write(format(summary));
process.exitCode = run.status ?? 1;

/** Every line of the report that parses; a torn line (a killed process) is ignored. */
function readReport(file) {
  const entries = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line));
    } catch {
      // ignore
    }
  }
  return entries;
}

/**
 * Backends that were skipped somewhere (with every distinct reason and the packages whose
 * tests skipped), backends that had a server (with where they came from), the packages whose
 * tests ran, and every skipped test grouped by its reason.
 */
function summarise(entries) {
  const skipped = new Map();
  const served = new Map();
  const runs = new Map();
  const skippedTests = new Map();
  for (const e of entries) {
    const where = relative(root, e.cwd ?? root) || ".";
    if (e.tests && typeof e.tests === "object") {
      const run = runs.get(where) ?? { ran: 0, skipped: 0 };
      run.ran += e.tests.ran ?? 0;
      run.skipped += e.tests.skipped?.length ?? 0;
      runs.set(where, run);
      for (const t of e.tests.skipped ?? []) {
        const reason = typeof t.reason === "string" ? t.reason : null;
        const group = skippedTests.get(reason) ?? { count: 0, packages: new Set(), tests: [] };
        group.count++;
        group.packages.add(where);
        group.tests.push(`${where}/${t.file} > ${t.test}`);
        skippedTests.set(reason, group);
      }
      continue;
    }
    if (typeof e.backend !== "string") continue;
    if (e.ok) {
      const modes = served.get(e.backend) ?? new Set();
      modes.add(e.mode ?? "?");
      served.set(e.backend, modes);
      continue;
    }
    const s = skipped.get(e.backend) ?? { reasons: new Set(), packages: new Set(), fails: false };
    s.reasons.add(e.reason ?? "no reason given");
    s.packages.add(where);
    s.fails ||= e.fails === true;
    skipped.set(e.backend, s);
  }
  return {
    skipped: [...skipped]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([backend, s]) => ({
        backend,
        command: ALL_SERVERS_COMMAND,
        failedUnderCi: s.fails,
        packages: [...s.packages].sort(),
        // "no container runtime…; redis-server not found" says all "redis-server not found" does.
        reasons: [...s.reasons].filter(
          (r) => ![...s.reasons].some((o) => o !== r && o.includes(r)),
        ),
      })),
    served: [...served]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([backend, modes]) => ({ backend, modes: [...modes].sort() })),
    testRuns: [...runs]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([pkg, run]) => ({ package: pkg, ...run })),
    // reason null: skipped by `it.skip`/`describe.skipIf`, or `ctx.skip()` without a note.
    skippedTests: [...skippedTests]
      .sort(([, a], [, b]) => b.count - a.count)
      .map(([reason, g]) => ({
        reason,
        count: g.count,
        packages: [...g.packages].sort(),
        tests: g.tests.sort(),
      })),
  };
}

/** The skipped tests first, then the servers: a backend without one is what the run ends on. */
function format(summary) {
  return `${formatSkippedTests(summary)}${formatServers(summary)}`;
}

/** Every skipped test, counted by reason (the test names are in the JSON summary). */
function formatSkippedTests({ skippedTests }) {
  if (skippedTests.length === 0) return "";
  const total = skippedTests.reduce((n, g) => n + g.count, 0);
  const width = Math.max(...skippedTests.map((g) => String(g.count).length));
  const lines = ["", `Skipped tests: ${total}, by reason (each test is named in the JSON summary)`];
  for (const g of skippedTests) {
    const reason = g.reason ?? "(no reason given: it.skip, describe.skipIf or ctx.skip())";
    lines.push(`  ${String(g.count).padStart(width)}  ${reason}  [${g.packages.join(", ")}]`);
  }
  return `${lines.join("\n")}\n`;
}

function formatServers({ skipped, served }) {
  const lines = ["", "Test servers"];
  if (served.length > 0) {
    lines.push(
      `  had a server: ${served.map((s) => `${s.backend} (${s.modes.join(", ")})`).join(", ")}`,
    );
  }
  if (skipped.length === 0) {
    lines.push(
      served.length > 0 ? "  nothing skipped for want of a server" : "  no test asked for a server",
    );
    return `${lines.join("\n")}\n\n`;
  }
  const width = Math.max(...skipped.map((s) => s.backend.length));
  lines.push(
    `  !!! ${skipped.length} backend(s) had no server, so their tests were skipped (under CI=true they fail):`,
  );
  for (const s of skipped) {
    const verdict = s.failedUnderCi ? "FAILED (CI=true)" : "skipped";
    lines.push(
      `  ${s.backend.padEnd(width)}  ${verdict} in ${s.packages.join(", ")}; runs with: ${s.command}`,
    );
    for (const reason of s.reasons) lines.push(`  ${" ".repeat(width)}    because: ${reason}`);
  }
  lines.push(
    `  ${ALL_SERVERS_COMMAND} installs and starts the servers (Debian/Ubuntu with root or sudo, or any machine with Docker) and runs every test: see README.md.`,
  );
  return `${lines.join("\n")}\n\n`;
}
