/**
 * `@locks/mongo`: distributed locks over MongoDB (and MongoDB-wire servers such as FerretDB):
 * lease documents with server-side expiry, fencing tokens and change-stream wake-ups. Built on
 * `@locks/core`; everything a user needs is exported here.
 */

// The errors, `withLock` and the user-facing types, as every provider package re-exports them.
export * from "@locks/core/common";
export { MongoFeatureUnsupportedError } from "./errors.js";
export type { LedgerGrant } from "./ledger.js";
export type { LedgerQueueEntry } from "./ledger-queue.js";
export type { LockDocument, QueueEntry } from "./lock-document.js";
export type { MongoLockState, MongoServerFeatures } from "./mongo-backend.js";
export {
  DEFAULT_COLLECTION,
  DEFAULT_EXPIRE_AFTER,
  MIN_EXPIRE_AFTER,
  type MongoFairness,
  type MongoLockProtocol,
  type MongoLockProviderOptions,
  type MongoTimeSource,
} from "./options.js";
export { createMongoLockProvider, MongoLockProvider } from "./provider.js";
