/**
 * `@locks/core/common`: what every provider package re-exports, so that a user needs only that
 * package: the errors, {@link withLock} and the user-facing types. A provider package's index
 * re-exports it in one line (`export * from "@locks/core/common"`); `@locks/core` exports it too.
 */

export {
  InvalidLockKeyError,
  LockBackendError,
  LockError,
  LockLostError,
  LockProviderClosedError,
  LockTimeoutError,
} from "./errors.js";
export type {
  AcquireOptions,
  DistributedLock,
  LockCapabilities,
  LockHandle,
  LockOptions,
  LockProvider,
} from "./types.js";
export { withLock } from "./with-lock.js";
