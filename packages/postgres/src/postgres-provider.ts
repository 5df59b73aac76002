import {
  BackendLockProvider,
  checkBoolean,
  checkDuration,
  checkOptionKeys,
} from "@locks/core/backend";
import pg, { type Pool, type PoolConfig } from "pg";
import {
  POSTGRES_DEFAULTS,
  POSTGRES_OPTION_KEYS,
  type PostgresLockProviderOptions,
  quoteTableName,
} from "./options.js";
import { PostgresLockBackend } from "./postgres-backend.js";

/**
 * A lock provider over PostgreSQL session-level advisory locks. Each held lock owns one
 * connection for its lifetime; see the package README for the guarantees.
 * `new PostgresLockProvider(options)` and {@link createPostgresLockProvider} are the same.
 */
export class PostgresLockProvider extends BackendLockProvider {
  declare readonly backend: PostgresLockBackend;

  constructor(options: PostgresLockProviderOptions) {
    const backend = createBackend(options);
    try {
      super(backend, options);
    } catch (error) {
      void backend.close();
      throw error;
    }
  }

  /**
   * Server process ids (`pg_backend_pid()`) of the sessions this provider uses right now: one per
   * held lock and per waiting acquisition, plus the control session used for `pg_cancel_backend`.
   * Meant for diagnostics and fault-injection tests.
   */
  backendPids(): number[] {
    return this.backend.backendPids();
  }
}

/**
 * Creates a provider of PostgreSQL advisory locks.
 *
 * ```ts
 * const locks = createPostgresLockProvider({ connectionString: "postgres://app:secret@db:5432/app" });
 * await using handle = await locks.getLock("invoices:2024-06").acquire({ timeout: 5_000 });
 * ```
 */
export function createPostgresLockProvider(
  options: PostgresLockProviderOptions,
): PostgresLockProvider {
  return new PostgresLockProvider(options);
}

/** Validates every option (before any I/O) and builds the backend over a new or given pool. */
function createBackend(options: PostgresLockProviderOptions): PostgresLockBackend {
  if (options === null || typeof options !== "object") {
    throw new TypeError("createPostgresLockProvider needs an options object");
  }
  checkOptionKeys(options, POSTGRES_OPTION_KEYS, "createPostgresLockProvider");
  const { connectionString, poolConfig, pool } = options;
  if (connectionString !== undefined && typeof connectionString !== "string") {
    throw new TypeError("connectionString must be a string");
  }
  if (poolConfig !== undefined && (poolConfig === null || typeof poolConfig !== "object")) {
    throw new TypeError("poolConfig must be an object");
  }
  if (pool !== undefined && (connectionString !== undefined || poolConfig !== undefined)) {
    throw new TypeError("Give either pool, or connectionString and/or poolConfig, not both");
  }
  if (pool === undefined && connectionString === undefined && poolConfig === undefined) {
    throw new TypeError("createPostgresLockProvider needs connectionString, poolConfig or pool");
  }
  if (pool !== undefined && !isPool(pool)) {
    throw new TypeError("pool must be a node-postgres Pool (from pg)");
  }
  // The provider's own options, checked here too so that no pool is made for a bad call.
  if (options.ttl !== undefined) checkDuration(options.ttl, "ttl");
  checkBoolean(options.autoExtend, "autoExtend");
  if (options.prefix !== undefined && typeof options.prefix !== "string") {
    throw new TypeError("prefix must be a string");
  }
  const settings = {
    fenceTable: quoteTableName(options.fenceTable ?? POSTGRES_DEFAULTS.fenceTable),
    durableFences:
      checkBoolean(options.durableFences, "durableFences") ?? POSTGRES_DEFAULTS.durableFences,
    validateInterval:
      options.validateInterval === undefined
        ? POSTGRES_DEFAULTS.validateInterval
        : checkDuration(options.validateInterval, "validateInterval"),
    validateTimeout:
      options.validateTimeout === undefined
        ? POSTGRES_DEFAULTS.validateTimeout
        : checkDuration(options.validateTimeout, "validateTimeout"),
    waitChunk:
      options.waitChunk === undefined
        ? POSTGRES_DEFAULTS.waitChunk
        : checkWaitChunk(options.waitChunk),
  };
  if (pool !== undefined) return new PostgresLockBackend(pool, false, settings);
  // A Pool performs no I/O until a connection is needed.
  const created = new pg.Pool({
    max: POSTGRES_DEFAULTS.max,
    keepAlive: true,
    connectionTimeoutMillis: POSTGRES_DEFAULTS.connectionTimeoutMillis,
    ...(connectionString === undefined ? {} : { connectionString }),
    ...poolConfig,
  } satisfies PoolConfig);
  // An idle connection that fails (server restart) is reported here; without a listener the
  // process would crash. The pool drops it; the next acquisition opens a new one.
  created.on("error", () => {});
  return new PostgresLockBackend(created, true, settings);
}

function isPool(value: unknown): value is Pool {
  const candidate = value as Partial<Pool>;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.connect === "function" &&
    typeof candidate.end === "function" &&
    typeof candidate.options === "object"
  );
}

/** A chunk is one `lock_timeout`: at least one second, at most what a timer can hold. */
function checkWaitChunk(value: unknown): number {
  const chunk = checkDuration(value, "waitChunk");
  if (chunk < 1_000) throw new RangeError(`waitChunk must be >= 1000 ms, got ${chunk}`);
  if (chunk > 2_000_000_000) {
    throw new RangeError(`waitChunk must be <= 2000000000 ms, got ${chunk}`);
  }
  return chunk;
}
