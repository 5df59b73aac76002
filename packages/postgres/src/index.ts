/**
 * `@locks/postgres`: distributed locks on PostgreSQL session-level advisory locks, with fencing
 * tokens, native first-come-first-served waits and loss detection. Built on `@locks/core`.
 */

export type {
  AcquireOptions,
  DistributedLock,
  LockCapabilities,
  LockHandle,
  LockOptions,
  LockProvider,
} from "@locks/core";
export {
  InvalidLockKeyError,
  LockBackendError,
  LockError,
  LockLostError,
  LockProviderClosedError,
  LockTimeoutError,
  withLock,
} from "@locks/core";
export {
  DEADLOCK_DETECTED,
  isDeadlockError,
  PostgresLockDeadlockError,
  PostgresSessionPoolerError,
} from "./errors.js";
export { postgresLockId } from "./lock-id.js";
export { POSTGRES_DEFAULTS, type PostgresLockProviderOptions } from "./options.js";
export { createPostgresLockProvider, PostgresLockProvider } from "./postgres-provider.js";
export { isRetryablePostgresError } from "./retryable.js";
export { fenceTableDdl } from "./statements.js";
