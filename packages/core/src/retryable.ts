/**
 * Node's error codes of a connection that dropped, was refused or timed out: a retry on a new
 * connection may well succeed, so a wait with time left rides them out.
 */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTCONN",
]);

/**
 * True for a Node socket error code of a connection that dropped, was refused or timed out
 * (`ECONNRESET`, `ECONNREFUSED`, `EPIPE`, `ETIMEDOUT`…), for backends that read codes from their
 * driver's errors themselves.
 */
export function isTransientSocketCode(code: unknown): boolean {
  return typeof code === "string" && TRANSIENT_CODES.has(code);
}

/**
 * Core's default for {@link LockBackend.isRetryable}: true when `error`, or an error in its
 * `cause` chain, carries a Node socket error code such as `ECONNRESET`, `ECONNREFUSED`, `EPIPE`
 * or `ETIMEDOUT`. Backends refine it for their driver's own transient errors and may call it
 * for the rest.
 */
export function isTransientNetworkError(error: unknown): boolean {
  let current = error;
  // Bounded: a cause chain may be cyclic.
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (isTransientSocketCode((current as { code?: unknown }).code)) return true;
    current = current.cause;
  }
  return false;
}
