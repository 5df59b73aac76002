import { type LockProvider, MemoryLockProvider, MemoryLockStore } from "@locks/core";

/** Builds one provider ("node") per call for the chosen backend. */
export type ProviderFactory = () => Promise<LockProvider>;

interface BackendPackage {
  scheme: string[];
  name: string;
  peer: string;
  factory: string;
  options: (url: string) => Record<string, unknown>;
}

const packages: BackendPackage[] = [
  {
    scheme: ["redis:", "rediss:"],
    name: "@locks/redis",
    peer: "ioredis",
    factory: "createRedisLockProvider",
    options: (url) => ({ url, prefix: "locks-demo:" }),
  },
  {
    scheme: ["mysql:", "mariadb:"],
    name: "@locks/mysql",
    peer: "mysql2",
    factory: "createMySqlLockProvider",
    options: (url) => ({ url: url.replace(/^mariadb:/, "mysql:"), prefix: "locks-demo:" }),
  },
  {
    scheme: ["mongodb:", "mongodb+srv:"],
    name: "@locks/mongo",
    peer: "mongodb",
    factory: "createMongoLockProvider",
    options: (url) => ({ url, prefix: "locks-demo:" }),
  },
  {
    scheme: ["postgres:", "postgresql:"],
    name: "@locks/postgres",
    peer: "pg",
    factory: "createPostgresLockProvider",
    options: (url) => ({ connectionString: url, prefix: "locks-demo:" }),
  },
];

/** Resolves `memory` or a URL to a provider factory, explaining what to install when a package is missing. */
export async function resolveBackend(
  backend: string,
): Promise<{ label: string; create: ProviderFactory }> {
  if (backend === "memory") {
    const store = new MemoryLockStore();
    return { label: "memory (in-process)", create: async () => new MemoryLockProvider({ store }) };
  }
  let scheme: string;
  try {
    scheme = new URL(backend).protocol;
  } catch {
    throw new DemoError(`--backend must be "memory" or a URL, got "${backend}"`);
  }
  const pkg = packages.find((p) => p.scheme.includes(scheme));
  if (!pkg) {
    throw new DemoError(
      `No backend for "${scheme}". Supported: memory, ${packages.flatMap((p) => p.scheme).join(" ")}`,
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pkg.name)) as Record<string, unknown>;
  } catch (error) {
    if (isMissingModule(error)) {
      throw new DemoError(
        `The backend package ${pkg.name} is not installed. Install it with:\n  pnpm add ${pkg.name} ${pkg.peer}`,
      );
    }
    throw error;
  }
  const factory = mod[pkg.factory];
  if (typeof factory !== "function") {
    throw new DemoError(`${pkg.name} does not export ${pkg.factory}()`);
  }
  const options = pkg.options(backend);
  return {
    label: `${pkg.name} at ${redact(backend)}`,
    create: async () => (await factory(options)) as LockProvider,
  };
}

/** An error whose message is meant for the person running the demo. */
export class DemoError extends Error {}

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
