import { BackendLockProvider, checkBoolean, checkDuration } from "@locks/core/backend";
import mysql, { type Pool, type PoolOptions } from "mysql2";
import { MySqlLockBackend } from "./mysql-backend.js";
import {
  MYSQL_DEFAULTS,
  type MySqlLockProviderOptions,
  type MySqlPool,
  quoteTableName,
} from "./options.js";

/**
 * A lock provider over MySQL 8 / MariaDB 10.6+ user-level locks (`GET_LOCK`). Each held lock owns
 * one connection for its lifetime; see the package README for the guarantees.
 */
export class MySqlLockProvider extends BackendLockProvider {
  declare readonly backend: MySqlLockBackend;

  /**
   * Server ids (`CONNECTION_ID()`) of the connections this provider uses right now: one per held
   * lock and per waiting acquisition, plus the control connection used for `KILL QUERY`. Meant for
   * diagnostics and fault-injection tests.
   */
  connectionIds(): number[] {
    return this.backend.connectionIds();
  }
}

/**
 * Creates a provider of MySQL / MariaDB locks.
 *
 * ```ts
 * const locks = createMySqlLockProvider({ url: "mysql://app:secret@db:3306/app" });
 * await using handle = await locks.getLock("invoices:2024-06").acquire({ timeout: 5_000 });
 * ```
 */
export function createMySqlLockProvider(options: MySqlLockProviderOptions): MySqlLockProvider {
  if (options === null || typeof options !== "object") {
    throw new TypeError("createMySqlLockProvider needs an options object");
  }
  const { url, poolOptions, pool } = options;
  if (url !== undefined && typeof url !== "string") throw new TypeError("url must be a string");
  if (poolOptions !== undefined && (poolOptions === null || typeof poolOptions !== "object")) {
    throw new TypeError("poolOptions must be an object");
  }
  if (pool !== undefined && (url !== undefined || poolOptions !== undefined)) {
    throw new TypeError("Give either pool, or url and/or poolOptions, not both");
  }
  if (pool === undefined && url === undefined && poolOptions === undefined) {
    throw new TypeError("createMySqlLockProvider needs url, poolOptions or pool");
  }
  const settings = {
    fenceTable: quoteTableName(options.fenceTable ?? MYSQL_DEFAULTS.fenceTable),
    validateInterval:
      options.validateInterval === undefined
        ? MYSQL_DEFAULTS.validateInterval
        : checkDuration(options.validateInterval, "validateInterval"),
    validateTimeout:
      options.validateTimeout === undefined
        ? MYSQL_DEFAULTS.validateTimeout
        : checkDuration(options.validateTimeout, "validateTimeout"),
    waitChunk:
      options.waitChunk === undefined
        ? MYSQL_DEFAULTS.waitChunk
        : checkWaitChunk(options.waitChunk),
    fractionalTimeouts: checkBoolean(options.fractionalTimeouts, "fractionalTimeouts"),
  };
  const givenPool = pool === undefined ? undefined : unwrapPool(pool);
  // createPool performs no I/O until a connection is needed.
  const usedPool =
    givenPool ??
    mysql.createPool({
      connectionLimit: MYSQL_DEFAULTS.connectionLimit,
      maxIdle: MYSQL_DEFAULTS.maxIdle,
      ...(url === undefined ? {} : { uri: url }),
      ...poolOptions,
    } as PoolOptions);
  try {
    return new MySqlLockProvider(
      new MySqlLockBackend(usedPool, givenPool === undefined, settings),
      options,
    );
  } catch (error) {
    if (givenPool === undefined) usedPool.end();
    throw error;
  }
}

function unwrapPool(pool: MySqlPool): Pool {
  const candidate = pool as Partial<Pool> & { pool?: Pool };
  if (candidate.pool && typeof candidate.pool.getConnection === "function") return candidate.pool;
  if (typeof candidate.getConnection === "function") return pool as Pool;
  throw new TypeError("pool must be a mysql2 pool (from mysql2 or mysql2/promise)");
}

/** A chunk under one second would degrade to polling on servers that wait in whole seconds. */
function checkWaitChunk(value: unknown): number {
  const chunk = checkDuration(value, "waitChunk");
  if (chunk < 1_000) throw new RangeError(`waitChunk must be >= 1000 ms, got ${chunk}`);
  return chunk;
}
