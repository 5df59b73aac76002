/**
 * `@locks/postgres/faults`: fault injection for tests, e.g. the `faults` hooks of
 * `@locks/conformance`. Acts the way an operator would, with `pg_terminate_backend` on a separate
 * connection. Server restarts and pauses are the test server's business (see `@locks/testing`).
 */
import type { LockProvider } from "@locks/core";
import { backendKey } from "@locks/core/backend";
import pg, { type PoolConfig } from "pg";
import { lockIdParts, postgresLockId } from "./lock-id.js";
import type { PostgresLockProvider } from "./postgres-provider.js";

/** Where the fault connection goes: the same server the providers use. */
export interface PostgresFaultsOptions {
  /** Connection string. */
  connectionString?: string;
  /** node-postgres pool options, instead of (or added to) `connectionString`. */
  poolConfig?: PoolConfig;
  /** How long {@link PostgresFaults.breakLock} waits for the server to free the lock, in ms. Default 5_000. */
  settleTimeout?: number;
}

/** Fault hooks over a small admin pool; call {@link PostgresFaults.close} when done. */
export interface PostgresFaults {
  /**
   * Terminates the session that holds `key`'s lock (found in `pg_locks`), and resolves once the
   * server no longer holds the lock for it. `key` is the key given to `getLock`; `prefix` the
   * provider's (default `""`).
   */
  breakLock(key: string, prefix?: string): Promise<void>;
  /** Terminates every session `provider` uses right now (held locks, waits, control session). */
  dropConnections(provider: LockProvider): Promise<void>;
  /** Ends the admin pool. */
  close(): Promise<void>;
}

const HOLDER_SQL =
  "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid AND objsubid = 1 AND granted";

/** Creates {@link PostgresFaults} on a small pool of its own (reconnects after a server restart). */
export function createPostgresFaults(options: PostgresFaultsOptions): PostgresFaults {
  const settleTimeout = options.settleTimeout ?? 5_000;
  const pool = new pg.Pool({
    max: 2,
    query_timeout: settleTimeout,
    ...(options.connectionString === undefined
      ? {}
      : { connectionString: options.connectionString }),
    ...options.poolConfig,
  });
  pool.on("error", () => {});
  const query = async (text: string, values: unknown[] = []): Promise<unknown[][]> =>
    (await pool.query({ text, values, rowMode: "array" })).rows as unknown[][];
  const terminate = async (pid: number) => {
    // false: the session ended meanwhile, which is the point.
    await query("SELECT pg_terminate_backend($1::int)", [pid]);
  };
  return {
    async breakLock(key, prefix = "") {
      const { classid, objid } = lockIdParts(postgresLockId(backendKey(prefix, key)));
      const holder = (await query(HOLDER_SQL, [classid, objid]))[0]?.[0];
      if (holder === undefined) throw new Error(`"${key}" is not locked`);
      await terminate(Number(holder));
      const deadline = Date.now() + settleTimeout;
      while (Date.now() < deadline) {
        const rows = await query(HOLDER_SQL, [classid, objid]);
        if (!rows.some((row) => Number(row[0]) === Number(holder))) return;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      throw new Error(`"${key}" is still held by the terminated session ${String(holder)}`);
    },
    async dropConnections(provider) {
      // Duck-typed: the CommonJS build bundles each entry point separately.
      const pids = (provider as Partial<Pick<PostgresLockProvider, "backendPids">>).backendPids;
      if (typeof pids !== "function") {
        throw new TypeError("dropConnections needs a provider made by createPostgresLockProvider");
      }
      for (const pid of pids.call(provider)) await terminate(pid);
    },
    close: () => pool.end(),
  };
}
