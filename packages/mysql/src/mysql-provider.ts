import {
  BackendLockProvider,
  checkBoolean,
  checkDuration,
  checkOptionKeys,
  MAX_TIMER_DELAY,
} from "@locks/core/backend";
import mysql, { type Pool, type PoolOptions } from "mysql2";
import { type MySqlBackendSettings, MySqlLockBackend } from "./mysql-backend.js";
import {
  MYSQL_DEFAULTS,
  MYSQL_OPTION_KEYS,
  type MySqlLockProviderOptions,
  type MySqlPool,
  quoteTableName,
} from "./options.js";

/**
 * A lock provider over MySQL 8 / MariaDB 10.6+ user-level locks (`GET_LOCK`). Each held lock owns
 * one connection for its lifetime; see the package README for the guarantees.
 * `new MySqlLockProvider(options)` and {@link createMySqlLockProvider} are the same.
 */
export class MySqlLockProvider extends BackendLockProvider {
  declare readonly backend: MySqlLockBackend;

  constructor(options: MySqlLockProviderOptions) {
    const { pool, ownsPool, settings } = resolveOptions(options);
    // createPool performs no I/O until a connection is needed.
    try {
      super(new MySqlLockBackend(pool, ownsPool, settings), options);
    } catch (error) {
      // Bad core options (ttl, prefix, wait…): end the pool made here, then report.
      if (ownsPool) pool.end();
      throw error;
    }
  }

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
 * Creates a provider of MySQL / MariaDB locks (the same as `new MySqlLockProvider(options)`).
 *
 * ```ts
 * const locks = createMySqlLockProvider({ url: "mysql://app:secret@db:3306/app" });
 * await using handle = await locks.getLock("invoices:2024-06").acquire({ timeout: 5_000 });
 * ```
 */
export function createMySqlLockProvider(options: MySqlLockProviderOptions): MySqlLockProvider {
  return new MySqlLockProvider(options);
}

/** Validates every option before any I/O, and picks (or creates) the pool. */
function resolveOptions(options: MySqlLockProviderOptions): {
  pool: Pool;
  ownsPool: boolean;
  settings: MySqlBackendSettings;
} {
  if (options === null || typeof options !== "object") {
    throw new TypeError("createMySqlLockProvider needs an options object");
  }
  checkOptionKeys(options, MYSQL_OPTION_KEYS, "createMySqlLockProvider");
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
  const validateTimeout = timerDuration(
    options.validateTimeout,
    "validateTimeout",
    MYSQL_DEFAULTS.validateTimeout,
  );
  const settings: Omit<MySqlBackendSettings, "combinedWait"> = {
    fenceTable: quoteTableName(options.fenceTable ?? MYSQL_DEFAULTS.fenceTable),
    validateInterval: timerDuration(
      options.validateInterval,
      "validateInterval",
      MYSQL_DEFAULTS.validateInterval,
    ),
    validateTimeout,
    waitChunk: checkWaitChunk(options.waitChunk, validateTimeout),
    fractionalTimeouts: checkBoolean(options.fractionalTimeouts, "fractionalTimeouts"),
  };
  const givenPool = pool === undefined ? undefined : unwrapPool(pool);
  const chosen =
    givenPool ??
    mysql.createPool({
      connectionLimit: MYSQL_DEFAULTS.connectionLimit,
      maxIdle: MYSQL_DEFAULTS.maxIdle,
      ...(url === undefined ? {} : { uri: url }),
      ...poolOptions,
    } as PoolOptions);
  return {
    pool: chosen,
    ownsPool: givenPool === undefined,
    settings: { ...settings, combinedWait: acceptsStatementLists(chosen) },
  };
}

/** Whether the pool's connections are opened with `multipleStatements`. */
function acceptsStatementLists(pool: Pool): boolean {
  const config = (pool as { config?: { connectionConfig?: { multipleStatements?: unknown } } })
    .config;
  return config?.connectionConfig?.multipleStatements === true;
}

function unwrapPool(pool: MySqlPool): Pool {
  const candidate = pool as Partial<Pool> & { pool?: Pool };
  if (candidate.pool && typeof candidate.pool.getConnection === "function") return candidate.pool;
  if (typeof candidate.getConnection === "function") return pool as Pool;
  throw new TypeError("pool must be a mysql2 pool (from mysql2 or mysql2/promise)");
}

/** A duration that runs on one Node timer: > 0 and at most 2³¹−1 ms. */
function timerDuration(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = checkDuration(value, name);
  if (ms > MAX_TIMER_DELAY) {
    throw new RangeError(`${name} must be at most ${MAX_TIMER_DELAY} ms, got ${ms}`);
  }
  return ms;
}

/**
 * A chunk under one second would degrade to polling on servers that wait in whole seconds; the
 * reply deadline of one chunk (chunk + `validateTimeout`) runs on one Node timer.
 */
function checkWaitChunk(value: unknown, validateTimeout: number): number {
  if (value === undefined) return MYSQL_DEFAULTS.waitChunk;
  const chunk = checkDuration(value, "waitChunk");
  if (chunk < 1_000) throw new RangeError(`waitChunk must be >= 1000 ms, got ${chunk}`);
  const max = MAX_TIMER_DELAY - validateTimeout;
  if (chunk > max) {
    throw new RangeError(
      `waitChunk must be at most ${max} ms (2³¹−1 − validateTimeout), got ${chunk}`,
    );
  }
  return chunk;
}
