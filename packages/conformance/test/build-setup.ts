import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * vitest global setup: the fixtures import the package by name (its built `dist/`), and the
 * cross-process scenario forks `dist/child.js` with plain node. `turbo run test` builds first;
 * this rebuilds when `dist/` is missing or older than `src/`, so a direct `vitest run` works too.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, "..");
  const built = join(root, "dist", "paused-child.js");
  const newestSource = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
        entry.isDirectory()
          ? newestSource(join(dir, entry.name))
          : statSync(join(dir, entry.name)).mtimeMs,
      ),
    );
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource(join(root, "src"))) return;
  execFileSync("pnpm", ["exec", "tsup"], { cwd: root, stdio: "inherit" });
}
