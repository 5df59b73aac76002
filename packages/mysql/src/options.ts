import type { LockProviderOptions } from "@locks/core/backend";
import type { Pool, PoolOptions } from "mysql2";
import type { fenceTableDdl } from "./fence-table.js";

/** A mysql2 pool: the callback pool of `mysql2`, or the promise pool of `mysql2/promise`. */
export type MySqlPool = Pool | { readonly pool: Pool };

/**
 * Options of {@link createMySqlLockProvider}. Give exactly one way to reach the server: `url`,
 * `poolOptions` (both together are fine: `poolOptions` then adds to the URL), or an existing `pool`.
 */
export interface MySqlLockProviderOptions extends LockProviderOptions {
  /** Connection URL, e.g. `mysql://user:pass@db:3306/app`. The database holds the fence table. */
  url?: string;
  /**
   * mysql2 pool options for the pool the provider creates (and closes on `close()`). Defaults
   * changed by this package: `connectionLimit` 50, `maxIdle` 5 (idle connections are closed
   * after mysql2's `idleTimeout`, 60 s). Every held lock and every waiting acquisition uses one
   * connection of the pool. `multipleStatements: true` makes a woken wait bring its fencing token
   * in the same reply instead of a second round trip; leave it off when a TCP proxy that keeps
   * Nagle's algorithm on (no `TCP_NODELAY`) stands between the provider and the server (see the
   * package README, "Waiting").
   */
  poolOptions?: PoolOptions;
  /**
   * An existing mysql2 pool to take lock connections from. The provider never closes it. A
   * connection that held a lock goes back to the pool only after the server confirmed it holds no
   * user lock (`RELEASE_ALL_LOCKS()` returned 0); otherwise it is destroyed. With
   * `multipleStatements` on in the pool, a woken wait brings its fencing token in the same reply
   * (see `poolOptions`); without, the token takes one more round trip.
   */
  pool?: MySqlPool;
  /**
   * Table of fencing counters, optionally `schema.table`. Created on first use with
   * `CREATE TABLE IF NOT EXISTS … ENGINE=MEMORY` when missing (see {@link fenceTableDdl}); an
   * existing table keeps its engine. Default `"locks_fence"`.
   */
  fenceTable?: string;
  /**
   * How often each held lock checks that its connection still owns it
   * (`IS_USED_LOCK(name) = CONNECTION_ID()`), in milliseconds. A closed connection is noticed at
   * once; a killed or silently broken one within this interval plus `validateTimeout`. At most
   * 2³¹−1. Default 1_000.
   */
  validateInterval?: number;
  /**
   * Longest wait for the server's reply to an ownership check or a release, in milliseconds. On
   * timeout the connection is destroyed and the lock reported lost. At most 2³¹−1. Default 5_000.
   */
  validateTimeout?: number;
  /**
   * Longest single `GET_LOCK` wait, in milliseconds (at least 1_000); longer (and infinite) waits
   * are a loop of such waits. At most 2³¹−1 − `validateTimeout`. Default 3_600_000 (one hour).
   */
  waitChunk?: number;
  /**
   * Whether the server honours fractional `GET_LOCK` timeouts (MariaDB does; MySQL 8 converts the
   * timeout to whole seconds). Default: detected from `VERSION()` on first use. When false,
   * sub-second remainders of a wait are polled with `GET_LOCK(name, 0)`.
   */
  fractionalTimeouts?: boolean;
}

/** The keys of {@link MySqlLockProviderOptions} besides core's provider options. */
export const MYSQL_OPTION_KEYS: readonly string[] = [
  "url",
  "poolOptions",
  "pool",
  "fenceTable",
  "validateInterval",
  "validateTimeout",
  "waitChunk",
  "fractionalTimeouts",
];

/** Defaults of {@link MySqlLockProviderOptions}. */
export const MYSQL_DEFAULTS = {
  fenceTable: "locks_fence",
  validateInterval: 1_000,
  validateTimeout: 5_000,
  waitChunk: 3_600_000,
  connectionLimit: 50,
  maxIdle: 5,
} as const;

const IDENTIFIER = /^[A-Za-z0-9_$]{1,64}$/;

/** Quotes a `table` or `schema.table` name, rejecting anything that is not a plain identifier. */
export function quoteTableName(name: string): string {
  if (typeof name !== "string") throw new TypeError("fenceTable must be a string");
  const parts = name.split(".");
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new TypeError(
      `fenceTable must be "table" or "schema.table" made of letters, digits, "_" or "$" (got "${name}")`,
    );
  }
  return parts.map((part) => `\`${part}\``).join(".");
}
