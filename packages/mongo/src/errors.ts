import { LockBackendError } from "@locks/core";
import { isTransientSocketCode } from "@locks/core/backend";

/** The server lacks a feature an option requires (e.g. `timeSource: "server"` on a server without `$$NOW` in updates). */
export class MongoFeatureUnsupportedError extends LockBackendError {
  /** The feature that is missing, e.g. `"server clock ($$NOW in update pipelines)"`. */
  readonly feature: string;
  constructor(feature: string, cause?: unknown) {
    super(`The MongoDB server does not support ${feature}`, { backend: "mongo", cause });
    this.feature = feature;
  }
}

/** Server error code of a duplicate key on insert (another upsert won the race). */
export const DUPLICATE_KEY = 11000;

/** Numeric server error code of a driver error, if it has one. */
export function errorCode(error: unknown): number | undefined {
  if (error === null || typeof error !== "object" || !("code" in error)) return undefined;
  const code = Number((error as { code: unknown }).code);
  return Number.isFinite(code) ? code : undefined;
}

/**
 * True for an error the server sent in reply to a command (not a network or client error). Some
 * servers reply without a code (mongo-java-server's internal errors); those count too.
 */
export function isServerError(error: unknown): boolean {
  return error instanceof Error && error.name === "MongoServerError";
}

/** Driver errors that mean "the server could not be reached or answered too late". */
const TRANSIENT_NAMES = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoServerClosedError",
  "MongoPoolClearedError",
  "MongoWaitQueueTimeoutError",
  "MongoOperationTimeoutError",
]);

/** Server codes of a failover, a shutdown or an interrupted operation: retrying later helps. */
const TRANSIENT_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/**
 * Whether a failed lock operation may succeed when tried again: network errors, server selection
 * timeouts, failovers and the driver's retryable labels. Errors of configuration, permissions or
 * a closed provider are not. Decided by name and code, so that errors of either supported driver
 * major are recognised.
 */
export function isTransientMongoError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (TRANSIENT_NAMES.has(e.name)) return true;
    const labels = e as { hasErrorLabel?: (label: string) => boolean };
    if (
      typeof labels.hasErrorLabel === "function" &&
      (labels.hasErrorLabel("RetryableWriteError") ||
        labels.hasErrorLabel("TransientTransactionError") ||
        labels.hasErrorLabel("ResetPool"))
    ) {
      return true;
    }
    const code = (e as { code?: unknown }).code;
    if (isTransientSocketCode(code)) return true;
    if (e.name === "MongoServerError" && typeof code === "number" && TRANSIENT_CODES.has(code)) {
      return true;
    }
    e = e.cause;
  }
  return false;
}
