// Reads vitest output on stdin and prints one closing line: "N passed, N failed, N skipped".
import { text } from "node:stream/consumers";

const output = await text(process.stdin);
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of output.split("\n")) {
  const match = /^\s*(?:\S+\s+)?Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!match) continue;
  for (const part of match[1].split("|")) {
    const [, count, kind] = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part.trim()) ?? [];
    if (kind === "todo") totals.skipped += Number(count);
    else if (kind) totals[kind] += Number(count);
  }
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exitCode = totals.passed > 0 && totals.failed === 0 ? 0 : 1;
