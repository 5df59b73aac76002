import { sqlState } from "./errors.js";

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
