import { LockBackendError } from "@locks/core";

/** MariaDB (and MySQL for row locks): "Deadlock found when trying to get lock". */
export const ER_LOCK_DEADLOCK = 1213;
/** MySQL 5.7+: "Deadlock found when trying to get user-level lock". */
export const ER_USER_LOCK_DEADLOCK = 3058;

/**
 * The server refused a `GET_LOCK` because waiting would deadlock: the waiting connection already
 * holds a user lock that the current holder of this lock waits for. With `@locks/mysql` alone this
 * cannot happen (every lock has its own connection); it happens when the connections come from a
 * pool whose other users keep `GET_LOCK` locks on them. The driver error is `cause`.
 */
export class MySqlLockDeadlockError extends LockBackendError {
  constructor(key: string, cause: unknown) {
    super(`Waiting for lock "${key}" (mysql) would deadlock with another user-level lock`, {
      key,
      backend: "mysql",
      cause,
    });
  }
}

/** True for the deadlock errors of MySQL (3058) and MariaDB (1213). */
export function isDeadlockError(error: unknown): boolean {
  const errno = errorNumber(error);
  return errno === ER_USER_LOCK_DEADLOCK || errno === ER_LOCK_DEADLOCK;
}

/** The server error number of a driver error, if it has one. */
export function errorNumber(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("errno" in error)) return undefined;
  const errno = (error as { errno: unknown }).errno;
  return typeof errno === "number" ? errno : undefined;
}
