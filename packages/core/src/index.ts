export {
  type AcquireEndMessage,
  type AcquireStartMessage,
  channels,
  type ExtendMessage,
  type LostMessage,
  type ReleaseMessage,
} from "./diagnostics.js";
export {
  InvalidLockKeyError,
  LockBackendError,
  LockError,
  LockLostError,
  LockProviderClosedError,
  LockTimeoutError,
} from "./errors.js";
export { DEFAULT_TTL, type LockProviderOptions } from "./lock-provider.js";
export { MemoryLockProvider, type MemoryLockProviderOptions } from "./memory-provider.js";
export { MemoryLockStore } from "./memory-store.js";
export type {
  AcquireOptions,
  DistributedLock,
  LockCapabilities,
  LockHandle,
  LockOptions,
  LockProvider,
} from "./types.js";
export { MAX_KEY_BYTES, MAX_TIMEOUT, MAX_TTL } from "./validation.js";
export { withLock } from "./with-lock.js";
