/**
 * `@locks/mysql/faults`: fault injection for tests, e.g. the `faults` hooks of
 * `@locks/conformance`. Acts the way an operator would, with `KILL` on a separate connection.
 */
import type { LockProvider } from "@locks/core";
import { backendKey } from "@locks/core/backend";
import mysql, { type Pool, type PoolOptions } from "mysql2";
import { mysqlLockName } from "./lock-name.js";
import type { MySqlLockProvider } from "./mysql-provider.js";
import { numeric, Session } from "./session.js";

/** Where the fault connection goes: the same server the providers use. */
export interface MySqlFaultsOptions {
  /** Server URL. */
  url?: string;
  /** mysql2 pool options, instead of (or added to) `url`. */
  poolOptions?: PoolOptions;
  /** How long {@link MySqlFaults.breakLock} waits for the server to free the lock, in ms. Default 5_000. */
  settleTimeout?: number;
}

/** Fault hooks over one admin connection; call {@link close} when done. */
export interface MySqlFaults {
  /**
   * `KILL`s the connection that holds `key`'s lock (found with `IS_USED_LOCK`), and resolves once
   * the server no longer holds the lock for it (the client sees its socket close slightly before
   * the server's session clean-up frees the lock). `key` is the key given to `getLock`; `prefix`
   * the provider's (default `""`).
   */
  breakLock(key: string, prefix?: string): Promise<void>;
  /** `KILL`s every connection `provider` uses right now (held locks, waits, control connection). */
  dropConnections(provider: LockProvider): Promise<void>;
  /** Closes the admin connection. */
  close(): Promise<void>;
}

/** Creates {@link MySqlFaults} on a small pool of its own (reconnects after a server restart). */
export function createMySqlFaults(options: MySqlFaultsOptions): MySqlFaults {
  const pool: Pool = mysql.createPool({
    connectionLimit: 2,
    ...(options.url === undefined ? {} : { uri: options.url }),
    ...options.poolOptions,
  } as PoolOptions);
  const settleTimeout = options.settleTimeout ?? 5_000;
  const query = (sql: string, values: unknown[] = []): Promise<unknown[][]> =>
    new Promise((resolve, reject) => {
      pool.getConnection((error, connection) => {
        if (error) return reject(error);
        const session = Session.of(connection);
        session.rows(sql, values, settleTimeout).then(
          (rows) => {
            connection.release();
            resolve(rows);
          },
          (failure: unknown) => {
            if (!session.dead) connection.release();
            reject(failure);
          },
        );
      });
    });
  const kill = async (id: number) => {
    // 1094 "Unknown thread id": the connection closed meanwhile, which is the point.
    await query(`KILL ${Number(id)}`).catch((error: unknown) => {
      if ((error as { errno?: unknown }).errno !== 1094) throw error;
    });
  };
  return {
    async breakLock(key, prefix = "") {
      const name = mysqlLockName(backendKey(prefix, key));
      const holder = numeric((await query("SELECT IS_USED_LOCK(?) AS holder", [name]))[0]?.[0]);
      if (holder === null) throw new Error(`"${key}" is not locked`);
      await kill(holder);
      const deadline = Date.now() + settleTimeout;
      while (Date.now() < deadline) {
        const still = await query("SELECT IS_USED_LOCK(?) <=> ? AS still", [name, holder]);
        if (numeric(still[0]?.[0]) !== 1) return;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      throw new Error(`"${key}" is still held by the killed connection ${holder}`);
    },
    async dropConnections(provider) {
      // Duck-typed: the CommonJS build bundles each entry point separately.
      const ids = (provider as Partial<Pick<MySqlLockProvider, "connectionIds">>).connectionIds;
      if (typeof ids !== "function") {
        throw new TypeError("dropConnections needs a provider made by createMySqlLockProvider");
      }
      for (const id of ids.call(provider)) await kill(id);
    },
    close: () => new Promise<void>((resolve) => pool.end(() => resolve())),
  };
}
