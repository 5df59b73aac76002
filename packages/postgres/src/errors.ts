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
