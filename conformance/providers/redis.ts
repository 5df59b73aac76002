/**
 * Redis providers for the conformance runs: how a child process builds one (`createProvider`,
 * the `child` recipe of `test/redis-*.test.ts`) and the fault hooks the parent uses.
 */
import type { LockFaults } from "@locks/conformance";
import { createRedisLockProvider, type IoredisModule, type RedisLockProvider } from "@locks/redis";
import { createRedisFaults } from "@locks/redis/faults";
import { serverFaults, type TestServer } from "@locks/testing";

/** Which ioredis major version to use: `ioredis` (5, RESP2) or `ioredis6` (6, RESP3 by default). */
export type RedisDriver = "ioredis" | "ioredis6";

/** JSON options the parent passes to every child (and uses itself). */
export interface RedisChildOptions {
  topology: "single" | "redlock" | "cluster";
  /** Server URLs: one for single, N for Redlock, the startup nodes for Cluster. */
  urls: string[];
  driver?: RedisDriver;
  prefix?: string;
}

/** How a suite name shows the driver, e.g. `"ioredis 5, RESP2"`. */
export function driverLabel(driver: RedisDriver): string {
  return driver === "ioredis" ? "ioredis 5, RESP2" : "ioredis 6, RESP3";
}

/** Loads the requested ioredis copy (both are dependencies of the conformance workspace). */
export async function loadDriver(driver: RedisDriver = "ioredis"): Promise<IoredisModule> {
  const module = (
    driver === "ioredis6" ? await import("ioredis6") : await import("ioredis")
  ) as unknown;
  return module as IoredisModule;
}

/** A fresh provider: its own connections, named so that `dropConnections` can find them. */
export async function createProvider(options: RedisChildOptions): Promise<RedisLockProvider> {
  const ioredis = await loadDriver(options.driver);
  const common = {
    ioredis,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  };
  switch (options.topology) {
    case "single":
      return createRedisLockProvider({ url: options.urls[0]!, ...common });
    case "redlock":
      return createRedisLockProvider({ urls: options.urls, ...common });
    case "cluster":
      return createRedisLockProvider({
        cluster: options.urls.map((url) => {
          const { hostname, port } = new URL(url);
          return { host: hostname, port: Number(port) };
        }),
        ...common,
      });
  }
}

/**
 * The suite's fault hooks for `servers`: `@locks/redis/faults` (DEL of the lock key, CLIENT KILL
 * of the provider's named connections), plus restart and pause through the test servers'
 * controls, or `CLIENT PAUSE` for servers given by URL (no restart then).
 */
export function redisFaults(
  servers: readonly TestServer[],
): LockFaults & { close(): Promise<void> } {
  const admin = createRedisFaults({ urls: servers.map((server) => server.url) });
  return {
    breakLock: (key) => admin.breakLock(key),
    dropConnections: (provider) => admin.dropConnections(provider),
    ...serverFaults(servers, { pause: (ms) => admin.pause(ms) }),
    close: () => admin.close(),
  };
}
