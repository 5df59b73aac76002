/**
 * `@locks/mongo`: distributed locks over MongoDB (and MongoDB-wire servers such as FerretDB):
 * lease documents with server-side expiry, fencing tokens and change-stream wake-ups. Built on
 * `@locks/core`; everything a user needs is exported here.
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
export { MongoFeatureUnsupportedError } from "./errors.js";
export type { LedgerGrant } from "./ledger.js";
export type { LockDocument } from "./lock-document.js";
export type { MongoLockState, MongoServerFeatures } from "./mongo-backend.js";
export {
  DEFAULT_COLLECTION,
  DEFAULT_EXPIRE_AFTER,
  MIN_EXPIRE_AFTER,
  type MongoLockProtocol,
  type MongoLockProviderOptions,
  type MongoTimeSource,
} from "./options.js";
export { createMongoLockProvider, MongoLockProvider } from "./provider.js";
