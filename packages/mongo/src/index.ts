export { MongoFeatureUnsupportedError } from "./errors.js";
export type { LockDocument } from "./lock-document.js";
export type { MongoServerFeatures } from "./mongo-backend.js";
export {
  DEFAULT_COLLECTION,
  DEFAULT_EXPIRE_AFTER,
  MIN_EXPIRE_AFTER,
  type MongoLockProviderOptions,
  type MongoTimeSource,
} from "./options.js";
export { createMongoLockProvider, MongoLockProvider } from "./provider.js";
