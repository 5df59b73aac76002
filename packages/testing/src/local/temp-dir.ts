import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory under the OS temp dir, e.g. `/tmp/locks-redis-XXXXXX`. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `locks-${prefix}-`));
}
