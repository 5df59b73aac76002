/**
 * `@locks/core/backend`: what a backend package needs to build a provider. Implement
 * {@link LockBackend} over your driver and pass it to {@link createLockProvider}.
 */

export { Backoff } from "./backoff.js";
export type { BackendLease, LockBackend, WaitTuning } from "./lock-backend.js";
export {
  BackendLockProvider,
  createLockProvider,
  type LockProviderOptions,
} from "./lock-provider.js";
export { now } from "./monotonic.js";
export { checkOptionKeys } from "./option-keys.js";
export { settleFirst, TIMED_OUT } from "./race.js";
export { assertValidKey, checkBoolean, checkDuration, MAX_KEY_BYTES } from "./validation.js";
