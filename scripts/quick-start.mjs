// Reads the README's "## Quick start" section, the one place that states what a new user runs:
// its ```sh blocks (1: the quick start, 2: the all-servers command) and the bullet list of the
// reasons a test may still be skipped with every server, which follows the second block.
//
//   node scripts/quick-start.mjs block N [README]   prints block N, a command per line
//
// scripts/first-hour.sh runs the commands; scripts/check-all-servers.mjs checks the skips.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The lines of "## Quick start", up to the next "## " heading. */
function section(readme) {
  const lines = [];
  let inside = false;
  for (const line of readme.split("\n")) {
    if (line.startsWith("## ")) inside = line === "## Quick start";
    else if (inside) lines.push(line);
  }
  return lines;
}

/**
 * The ```sh blocks of "## Quick start", in order: each the list of its commands, trailing
 * `# comments` and empty lines removed.
 */
export function quickStartBlocks(readme) {
  const blocks = [];
  let block;
  for (const line of section(readme)) {
    if (block === undefined) {
      if (line === "```sh") {
        block = [];
        blocks.push(block);
      }
    } else if (line.startsWith("```")) block = undefined;
    else {
      const command = line.replace(/\s+#.*$/, "");
      if (command !== "") block.push(command);
    }
  }
  return blocks;
}

/** The reasons (in backticks) of the first bullet list after the second ```sh block. */
export function allowedSkips(readme) {
  const reasons = [];
  let blocks = 0;
  let fenced = false;
  let listing = false;
  for (const line of section(readme)) {
    if (line.startsWith("```")) {
      fenced = !fenced;
      if (fenced && line === "```sh") blocks++;
      continue;
    }
    if (fenced || blocks < 2) continue;
    const item = /^- `([^`]+)`/.exec(line);
    if (item) {
      listing = true;
      reasons.push(item[1]);
    } else if (listing && !/^\s/.test(line)) break; // the list ended (continuation lines are indented)
  }
  return reasons;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [what, n, file] = process.argv.slice(2);
  const index = Number(n);
  if (what !== "block" || !Number.isInteger(index) || index < 1) {
    console.error("usage: node scripts/quick-start.mjs block N [README]");
    process.exit(2);
  }
  const readme = readFileSync(file ?? join(import.meta.dirname, "..", "README.md"), "utf8");
  for (const command of quickStartBlocks(readme)[index - 1] ?? []) console.log(command);
}
