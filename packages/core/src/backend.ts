/**
 * `@locks/core/backend`: what a backend package needs to build a provider. Implement
 * {@link LockBackend} over your driver and pass it to {@link createLockProvider}.
 */

export { AbortableWait } from "./abortable-wait.js";
export { backendKey } from "./backend-key.js";
export { BackgroundWork } from "./background-work.js";
export { type CancelLoop, cancelUntilEnded } from "./cancel-loop.js";
export { checkoutBefore } from "./checkout.js";
export { ConnectionLife } from "./connection-life.js";
export { ControlConnection } from "./control-connection.js";
export type {
  BackendLease,
  ExtendResult,
  LockBackend,
  WaiterEntry,
  WaitTuning,
} from "./lock-backend.js";
export {
  BackendLockProvider,
  createLockProvider,
  type LockProviderOptions,
} from "./lock-provider.js";
export { now } from "./monotonic.js";
export { checkOptionKeys } from "./option-keys.js";
export { settleFirst, TIMED_OUT } from "./race.js";
export { replyWithin } from "./reply-within.js";
export { isTransientNetworkError, isTransientSocketCode } from "./retryable.js";
export { MAX_TIMER_DELAY } from "./timers.js";
export {
  assertValidKey,
  checkBoolean,
  checkDuration,
  checkTimeout,
  checkTtl,
  MAX_KEY_BYTES,
  MAX_TIMEOUT,
  MAX_TTL,
} from "./validation.js";
