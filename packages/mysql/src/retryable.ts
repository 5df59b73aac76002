import { isTransientSocketCode } from "@locks/core/backend";
import { MySqlLockDeadlockError } from "./errors.js";

/**
 * Error codes of a connection that broke (mysql2's, and this package's own `ConnectionClosedError`
 * codes; Node's socket codes are core's): a new connection may well succeed.
 */
const TRANSIENT_CODES = new Set([
  "PROTOCOL_CONNECTION_LOST", // mysql2: the server closed the connection ("Connection lost")
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "PROTOCOL_PACKETS_OUT_OF_ORDER",
  "CONNECTION_ENDED", // this package: the server ended the session
  "QUERY_TIMEOUT", // this package: no reply in time, the connection was dropped
]);

/** Server errors that end a session or refuse one for a while, not for good. */
const TRANSIENT_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN: shutdown in progress
  1077, // ER_NORMAL_SHUTDOWN
  1927, // MariaDB ER_CONNECTION_KILLED: the session was KILLed
  4031, // MySQL ER_CLIENT_INTERACTION_TIMEOUT: disconnected for inactivity
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
]);

/**
 * Whether a failed attempt on MySQL/MariaDB is worth repeating on a new connection: a connection
 * that was killed, reset, refused or timed out, or a server shutting down. Authentication,
 * unknown database, missing privileges, SQL errors, a deadlock and the provider's own closing are
 * not: retrying cannot fix them.
 */
export function isRetryableMySqlError(error: unknown): boolean {
  let current = error;
  // Bounded: a cause chain may be cyclic.
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof MySqlLockDeadlockError) return false;
    const { code, errno } = current as { code?: unknown; errno?: unknown };
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
    if (isTransientSocketCode(code)) return true;
    if (typeof errno === "number" && TRANSIENT_ERRNOS.has(errno)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
