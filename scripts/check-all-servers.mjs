// Checks the summary of an all-servers run (`pnpm test:all`, written by scripts/test.mjs) against
// what the README promises for it:
//   - the run passed;
//   - no backend was skipped for want of a server;
//   - every package with a `test` script ran its tests and reported them (a package whose vitest
//     config lacks scripts/skip-reporter.mjs would hide its skips);
//   - every skipped test was skipped with a reason the README lists: the bullet list, one
//     reason in backticks per item, that follows the all-servers command in "## Quick start".
//
//   node scripts/check-all-servers.mjs SUMMARY.json [REPO_ROOT]
//
// Exits 1 and names each broken promise; 0 after printing what the run covered.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allowedSkips } from "./quick-start.mjs";

const [summaryFile, rootArg] = process.argv.slice(2);
if (!summaryFile) {
  console.error("usage: node scripts/check-all-servers.mjs SUMMARY.json [REPO_ROOT]");
  process.exit(2);
}
const root = rootArg ?? join(import.meta.dirname, "..");
const summary = JSON.parse(readFileSync(summaryFile, "utf8"));
const allowed = allowedSkips(readFileSync(join(root, "README.md"), "utf8"));
const problems = [];

if (allowed.length === 0)
  problems.push("README.md lists no allowed skips after the all-servers command");
if (summary.exitCode !== 0) problems.push(`the all-servers run exited with ${summary.exitCode}`);
for (const b of summary.skipped ?? []) {
  problems.push(`backend ${b.backend} had no server: ${(b.reasons ?? []).join("; ")}`);
}
const reported = new Set((summary.testRuns ?? []).map((r) => r.package));
for (const pkg of packagesWithTests(root)) {
  if (!reported.has(pkg))
    problems.push(
      `${pkg} reported no test run (is scripts/skip-reporter.mjs in its vitest config?)`,
    );
}
for (const g of summary.skippedTests ?? []) {
  if (g.reason !== null && allowed.includes(g.reason)) continue;
  const what =
    g.reason === null ? "without a reason" : `for a reason README.md does not list: ${g.reason}`;
  const some = g.tests.slice(0, 3).join("; ") + (g.tests.length > 3 ? "; …" : "");
  problems.push(`${g.count} test(s) skipped ${what} (${some})`);
}

if (problems.length > 0) {
  console.error(
    `[all-servers] the all-servers run broke the README's promise:\n  ${problems.join("\n  ")}`,
  );
  process.exit(1);
}
const skippedCount = (summary.skippedTests ?? []).reduce((n, g) => n + g.count, 0);
const unseen = allowed.filter((r) => !(summary.skippedTests ?? []).some((g) => g.reason === r));
console.error(
  `[all-servers] every backend had a server (${(summary.served ?? []).map((b) => b.backend).join(", ")}); ` +
    `${reported.size} packages ran; ${skippedCount} skipped tests, all for reasons README.md lists` +
    (unseen.length > 0 ? `; listed but not seen in this run: ${unseen.join(" | ")}` : ""),
);

/** Workspace packages (directories relative to root) whose package.json has a `test` script. */
function packagesWithTests(root) {
  const files = execFileSync("git", ["ls-files", "--", "*package.json"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\n")
    .filter((f) => f.endsWith("package.json") && f !== "package.json" && !f.includes("/test/"));
  return files
    .filter((f) => JSON.parse(readFileSync(join(root, f), "utf8")).scripts?.test)
    .map((f) => f.slice(0, -"/package.json".length))
    .sort();
}
