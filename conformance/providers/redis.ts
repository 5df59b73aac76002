/**
 * Redis providers for the conformance runs: how a child process builds one (`createProvider`,
 * the `child` recipe of `test/redis-*.test.ts`) and the fault hooks the parent uses.
 */
import type { LockFaults } from "@locks/conformance";
import type { LockProvider } from "@locks/core";
import {
  createRedisLockProvider,
  type IoredisModule,
  type RedisLockProvider,
  redisLockKeys,
} from "@locks/redis";
import type { TestServer } from "@locks/testing";
import { Redis } from "ioredis";

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Admin connections to each server, for the fault hooks. Close them with `close()`. */
export function redisFaults(servers: readonly TestServer[]): LockFaults & { close(): void } {
  const admins = servers.map((server) => {
    const admin = new Redis(server.url, { maxRetriesPerRequest: null });
    admin.on("error", () => {});
    return admin;
  });
  const faults: LockFaults & { close(): void } = {
    /** Deletes the lock key on every server (for Cluster, on whichever master holds it). */
    async breakLock(key: string) {
      const { lock } = redisLockKeys(key);
      await Promise.all(
        admins.map((admin) =>
          admin.del(lock).catch((error: unknown) => {
            // Cluster: only the master owning the slot holds the key.
            if (!(error instanceof Error && error.message.startsWith("MOVED"))) throw error;
          }),
        ),
      );
    },
    /** `CLIENT KILL ID` of every connection (commands and pub/sub) named after the provider. */
    async dropConnections(provider: LockProvider) {
      const name = (provider as RedisLockProvider).connectionName;
      await Promise.all(
        admins.map(async (admin) => {
          const list = String(await admin.call("CLIENT", "LIST"));
          const ids = list
            .split("\n")
            .filter((line) => line.includes(` name=${name} `))
            .map((line) => /\bid=(\d+)/.exec(line)?.[1])
            .filter((id): id is string => id !== undefined);
          for (const id of ids) await admin.call("CLIENT", "KILL", "ID", id).catch(() => {});
        }),
      );
    },
    close() {
      for (const admin of admins) admin.disconnect();
    },
  };
  if (servers.every((server) => server.control)) {
    faults.restartBackend = async () => {
      await Promise.all(servers.map((server) => server.control!.restart()));
    };
    faults.pauseBackend = async (ms: number) => {
      await Promise.all(servers.map((server) => server.control!.pause()));
      await sleep(ms);
      await Promise.all(servers.map((server) => server.control!.resume()));
    };
  } else {
    // Servers given by URL: CLIENT PAUSE stops every client but the admin's own commands.
    faults.pauseBackend = async (ms: number) => {
      await Promise.all(
        admins.map((admin) => admin.call("CLIENT", "PAUSE", String(Math.ceil(ms)))),
      );
      await sleep(ms);
    };
  }
  return faults;
}
