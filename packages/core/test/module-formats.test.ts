import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The built entry points, as `require()` and `import` load them: a backend package's provider is
 * built on `@locks/core/backend` and re-exports the errors from `@locks/core/common`, so each
 * format must give the three entries one copy of each class.
 */
const dist = join(import.meta.dirname, "..", "dist");
const entries = ["index", "backend", "common"] as const;

function assertBuilt(file: string): void {
  const source = join(import.meta.dirname, "..", "src", "errors.ts");
  if (!existsSync(file) || statSync(file).mtimeMs < statSync(source).mtimeMs) {
    throw new Error(`${file} is missing or older than src/: run \`pnpm build\` first`);
  }
}

interface Entry {
  LockTimeoutError?: unknown;
  LockError?: unknown;
  createLockProvider?: (
    backend: object,
    options: object,
  ) => {
    getLock(key: string): { acquire(options: { timeout: number }): Promise<unknown> };
    close(): Promise<void>;
  };
}

/** A backend that never grants: every wait times out. */
const neverGrants = {
  name: "never",
  capabilities: {
    leases: true,
    fencing: false,
    distributed: false,
    notifications: false,
    fairness: false,
  },
  tryAcquire: async () => undefined,
  extend: async () => "renewed" as const,
  release: async () => true,
  close: async () => {},
};

async function timeoutError(backend: Entry): Promise<unknown> {
  const provider = backend.createLockProvider?.(neverGrants, {});
  if (!provider) throw new Error("no createLockProvider");
  try {
    return await provider
      .getLock("k")
      .acquire({ timeout: 5 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
  } finally {
    await provider.close();
  }
}

describe.each([
  ["CommonJS", "cjs"],
  ["ESM", "js"],
] as const)("%s build", (_format, extension) => {
  async function load(entry: (typeof entries)[number]): Promise<Entry> {
    const file = join(dist, `${entry}.${extension}`);
    assertBuilt(file);
    if (extension === "cjs") return createRequire(import.meta.url)(file) as Entry;
    return (await import(file)) as Entry;
  }

  it("gives every entry point one copy of each error class", async () => {
    const [index, backend, common] = await Promise.all(entries.map(load));
    expect(index?.LockError).toBeTypeOf("function");
    expect(common?.LockError).toBe(index?.LockError);
    expect(common?.LockTimeoutError).toBe(index?.LockTimeoutError);
    const error = await timeoutError(backend as Entry);
    expect(error).toBeInstanceOf(common?.LockTimeoutError as new () => unknown);
    expect(error).toBeInstanceOf(index?.LockError as new () => unknown);
  });
});
