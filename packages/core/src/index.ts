export * from "./common.js";
export {
  type AcquireEndMessage,
  type AcquireStartMessage,
  channels,
  type ExtendMessage,
  type LostMessage,
  type ReleaseMessage,
} from "./diagnostics.js";
export { DEFAULT_TTL, type LockProviderOptions } from "./lock-provider.js";
export { MemoryLockProvider, type MemoryLockProviderOptions } from "./memory-provider.js";
export { MemoryLockStore } from "./memory-store.js";
export { MAX_KEY_BYTES, MAX_TIMEOUT, MAX_TTL } from "./validation.js";
