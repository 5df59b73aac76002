import type { LockProviderOptions } from "@locks/core/backend";
import type { Pool, PoolConfig } from "pg";

/**
 * Options of {@link createPostgresLockProvider}. Give exactly one way to reach the server:
 * `connectionString`, `poolConfig` (both together are fine: `poolConfig` then adds to the
 * connection string), or an existing `pool`.
 */
export interface PostgresLockProviderOptions extends LockProviderOptions {
  /** Connection string, e.g. `postgres://app:secret@db:5432/app`. The database holds the fence table. */
  connectionString?: string;
  /**
   * node-postgres pool options for the pool the provider creates (and ends on `close()`).
   * Defaults changed by this package: `max` 50, `keepAlive` true, `connectionTimeoutMillis`
   * 10_000 (a server that accepts TCP but never answers, e.g. a frozen one, must not hang an
   * acquisition). Every held lock and every waiting acquisition uses one connection of the pool.
   */
  poolConfig?: PoolConfig;
  /**
   * An existing node-postgres pool to take lock connections from. The provider never ends it. A
   * connection that held a lock goes back to the pool only after the server confirmed that it
   * holds no advisory lock any more; otherwise it is destroyed. Its other users must not leave
   * session-level advisory locks on its connections.
   */
  pool?: Pool;
  /**
   * Table of fencing counters, optionally `schema.table`. Created on first use with
   * `CREATE TABLE IF NOT EXISTS` when missing. Default `"locks_fence"`.
   */
  fenceTable?: string;
  /**
   * Whether each grant waits for its fencing counter to be flushed to disk (`synchronous_commit`
   * as the session has it). Default false: the counter is committed asynchronously and every token
   * is at least the server clock in microseconds, so tokens keep increasing across a crash that
   * loses the last commits as long as the server clock does not step back. See the README.
   */
  durableFences?: boolean;
  /**
   * How often each held lock checks that its session still holds it (`pg_locks`), in
   * milliseconds. A closed connection is noticed at once; a terminated or silently broken one
   * within this interval plus `validateTimeout`. Default 1_000.
   */
  validateInterval?: number;
  /**
   * Longest wait for the server's reply to an ownership check or a release, in milliseconds. On
   * timeout the connection is destroyed and the lock reported lost. Default 5_000.
   */
  validateTimeout?: number;
  /**
   * Longest single `pg_advisory_lock` wait (its `lock_timeout`), in milliseconds (at least
   * 1_000); longer and infinite waits are a loop of such waits. A silent network failure during a
   * wait is noticed after at most this plus `validateTimeout`. Default 3_600_000 (one hour).
   */
  waitChunk?: number;
}

/** Defaults of {@link PostgresLockProviderOptions}. */
export const POSTGRES_DEFAULTS = {
  fenceTable: "locks_fence",
  durableFences: false,
  validateInterval: 1_000,
  validateTimeout: 5_000,
  waitChunk: 3_600_000,
  max: 50,
  connectionTimeoutMillis: 10_000,
} as const;

/** The option keys of this package (core's `prefix`, `ttl`, `autoExtend`, `wait` come on top). */
export const POSTGRES_OPTION_KEYS: readonly string[] = [
  "connectionString",
  "poolConfig",
  "pool",
  "fenceTable",
  "durableFences",
  "validateInterval",
  "validateTimeout",
  "waitChunk",
];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Quotes a `table` or `schema.table` name, rejecting anything that is not a plain identifier.
 * Quoting keeps the name's case as given.
 */
export function quoteTableName(name: unknown): string {
  if (typeof name !== "string") throw new TypeError("fenceTable must be a string");
  const parts = name.split(".");
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new TypeError(
      `fenceTable must be "table" or "schema.table" made of letters, digits, "_" or "$" (got "${name}")`,
    );
  }
  return parts.map((part) => `"${part}"`).join(".");
}
