/**
 * `@locks/postgres`: distributed locks on PostgreSQL session-level advisory locks, with fencing
 * tokens, native first-come-first-served waits and loss detection. Built on `@locks/core`.
 */

// The errors, `withLock` and the user-facing types, as every provider package re-exports them.
export * from "@locks/core/common";
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
