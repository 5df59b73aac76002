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
