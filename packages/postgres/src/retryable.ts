import { isTransientNetworkError } from "@locks/core/backend";
import { sqlState } from "./errors.js";

/** This package's own codes for a connection it gave up on (see `ConnectionClosedError`). */
const OWN_TRANSIENT_CODES = new Set(["QUERY_TIMEOUT", "CONNECTION_ENDED", "DISCARDED"]);

/** Messages of node-postgres errors that have no code. */
const RETRYABLE_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable/i;

/**
 * Whether retrying on a new connection can fix `error`: lost or refused connections (core's
 * {@link isTransientNetworkError}, node-postgres' "Connection terminated", this package's reply
 * timeouts), and the server errors of a restart, a failover or a full server (SQLSTATE class `08`
 * connection exception, `57P01`–`57P03` shutdown / cannot connect now, `53300` too many
 * connections). Bad statements, missing rights, a deadlock (`PostgresLockDeadlockError`), a
 * pooler that breaks sessions and closed pools are not retryable.
 */
export function isRetryablePostgresError(error: unknown): boolean {
  if (isTransientNetworkError(error)) return true;
  let current = error;
  // Bounded: a cause chain may be cyclic.
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
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
    if (typeof code === "string" && OWN_TRANSIENT_CODES.has(code)) return true;
    if (current instanceof Error && RETRYABLE_MESSAGES.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
