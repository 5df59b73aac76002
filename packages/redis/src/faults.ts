/**
 * `@locks/redis/faults`: fault injection for tests, e.g. the `faults` hooks of
 * `@locks/conformance`. Acts the way an operator would, on admin connections of its own.
 */
import type { LockProvider } from "@locks/core";
import { backendKey } from "@locks/core/backend";
import { Redis } from "ioredis";
import { redisLockKeys } from "./keys.js";
import type { IoredisModule } from "./provider.js";

/** Where the admin connections go. */
export interface RedisFaultsOptions {
  /**
   * Every server the providers use: the one server, each Redlock server, or every Cluster master.
   */
  urls: readonly string[];
  /** The ioredis module to connect with. Default: the `ioredis` package. */
  ioredis?: IoredisModule;
}

/** Fault hooks over one admin connection per server; call {@link close} when done. */
export interface RedisFaults {
  /**
   * Deletes the lock of `key` behind its holder's back, on every server that has it (the fence
   * counter stays). `key` is the key given to `getLock`; `prefix` the provider's (default `""`).
   */
  breakLock(key: string, prefix?: string): Promise<void>;
  /**
   * `CLIENT KILL`s every connection of `provider` (commands and pub/sub), found in `CLIENT LIST`
   * by the provider's `connectionName`. Only connections the provider opened carry that name.
   */
  dropConnections(provider: LockProvider): Promise<void>;
  /** `CLIENT PAUSE` every server for `ms` milliseconds (resolves when the pause has ended). */
  pause(ms: number): Promise<void>;
  /** Closes the admin connections. */
  close(): Promise<void>;
}

/** Creates {@link RedisFaults}. */
export function createRedisFaults(options: RedisFaultsOptions): RedisFaults {
  if (!Array.isArray(options?.urls) || options.urls.length === 0) {
    throw new TypeError("createRedisFaults needs urls: a non-empty array of Redis URLs");
  }
  const Client = (options.ioredis?.Redis ?? Redis) as unknown as typeof Redis;
  const admins = options.urls.map((url) => {
    // Commands wait for a reconnect, so hooks work across a server restart.
    const admin = new Client(url, { maxRetriesPerRequest: null });
    admin.on("error", () => {});
    return admin;
  });
  return {
    async breakLock(key, prefix = "") {
      const { lock } = redisLockKeys(backendKey(prefix, key));
      await Promise.all(
        admins.map((admin) =>
          admin.del(lock).catch((error: unknown) => {
            // A Cluster master that does not own the slot answers MOVED: nothing to delete there.
            if (!(error instanceof Error && error.message.startsWith("MOVED"))) throw error;
          }),
        ),
      );
    },
    async dropConnections(provider) {
      const name = (provider as { connectionName?: unknown }).connectionName;
      if (typeof name !== "string") {
        throw new TypeError("dropConnections needs a provider from createRedisLockProvider");
      }
      await Promise.all(
        admins.map(async (admin) => {
          const list = String(await admin.call("CLIENT", "LIST"));
          for (const line of list.split("\n")) {
            if (!line.includes(` name=${name} `)) continue;
            const id = /\bid=(\d+)/.exec(line)?.[1];
            if (id) await admin.call("CLIENT", "KILL", "ID", id).catch(() => {});
          }
        }),
      );
    },
    async pause(ms) {
      await Promise.all(
        admins.map((admin) => admin.call("CLIENT", "PAUSE", String(Math.ceil(ms)))),
      );
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    async close() {
      for (const admin of admins) admin.disconnect();
    },
  };
}
