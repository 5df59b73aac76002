import { accessSync, constants } from "node:fs";
import { delimiter, dirname, join } from "node:path";

/**
 * Directories searched for server binaries: `PATH`, each `…/bin` entry's sibling `…/sbin`
 * (Debian puts `mariadbd` in /usr/sbin, outside a normal user's PATH) and `$GOPATH/bin` /
 * `$HOME/go/bin` (where `go install` puts FerretDB).
 */
export function searchDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs: string[] = [];
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    dirs.push(dir);
    if (dir.endsWith("/bin")) dirs.push(join(dirname(dir), "sbin"));
  }
  if (env.GOPATH) dirs.push(join(env.GOPATH, "bin"));
  if (env.HOME) dirs.push(join(env.HOME, "go", "bin"));
  return [...new Set(dirs)];
}

/** Absolute path of the first executable called one of `names`, or undefined. */
export function findBinary(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  const dirs = searchDirs(env);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}
