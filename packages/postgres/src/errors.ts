import { LockBackendError } from "@locks/core";

/** SQLSTATE `40P01` deadlock_detected. */
export const DEADLOCK_DETECTED = "40P01";
/** SQLSTATE `55P03` lock_not_available: a `lock_timeout` ran out. */
export const LOCK_NOT_AVAILABLE = "55P03";
/** SQLSTATE `57014` query_canceled: `pg_cancel_backend`, or a `statement_timeout`. */
export const QUERY_CANCELED = "57014";
/** SQLSTATE `42P01` undefined_table (raised while parsing, before anything runs). */
export const UNDEFINED_TABLE = "42P01";

/**
 * The server refused a `pg_advisory_lock` wait because it would deadlock: the waiting session
 * already holds a lock that the current holder waits for. With `@locks/postgres` alone this cannot
 * happen (every lock has its own session); it happens when sessions come from a given pool whose
 * other users keep locks on them. The driver error is `cause`.
 */
export class PostgresLockDeadlockError extends LockBackendError {
  constructor(key: string, cause: unknown) {
    super(`Waiting for lock "${key}" (postgres) would deadlock with another lock of its session`, {
      key,
      backend: "postgres",
      cause,
    });
  }
}

/**
 * Statements sent on one connection ran in different server sessions (`pg_backend_pid()` differs
 * from the session the connection opened). This is what a pooler in transaction or statement mode
 * (PgBouncer, Supavisor, pgcat…) does, and it breaks session-level advisory locks: connect the lock
 * provider to PostgreSQL directly, or through a pooler in session mode.
 */
export class PostgresSessionPoolerError extends LockBackendError {
  constructor(key: string, expected: number, actual: number) {
    super(
      `Lock "${key}" (postgres): the connection's statements ran in server session ${actual}, not ${expected}; ` +
        "a pooler in transaction or statement mode cannot hold session-level advisory locks",
      { key, backend: "postgres" },
    );
  }
}

/** The SQLSTATE of a server error, if it has one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True for the deadlock error `40P01`. */
export function isDeadlockError(error: unknown): boolean {
  return sqlState(error) === DEADLOCK_DETECTED;
}

/** Node socket errors that a new connection may not see again. */
const RETRYABLE_SOCKET_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  // Raised by this package: a query that got no reply in time, a connection that ended.
  "QUERY_TIMEOUT",
  "CONNECTION_ENDED",
  "DISCARDED",
]);

/** Messages of node-postgres errors that have no code. */
const RETRYABLE_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable/i;

/**
 * Whether retrying on a new connection can fix `error`: lost or refused connections, and the
 * server errors of a restart, a failover or a full server (SQLSTATE classes `08` connection
 * exception, `57P01`–`57P03` shutdown / cannot connect now, `53300` too many connections).
 * Bad statements, missing rights, a deadlock ({@link PostgresLockDeadlockError}), a pooler that
 * breaks sessions and closed pools are not retryable.
 */
export function isRetryablePostgresError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const state = sqlState(current);
    if (state !== undefined) {
      return (
        state.startsWith("08") ||
        state === "57P01" ||
        state === "57P02" ||
        state === "57P03" ||
        state === "53300"
      );
    }
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && RETRYABLE_SOCKET_CODES.has(code)) return true;
    if (current instanceof Error && RETRYABLE_MESSAGES.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
