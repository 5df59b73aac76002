import { BackendLockProvider } from "@locks/core/backend";
import { MongoClient } from "mongodb";
import { MongoBackend, type MongoLockState, type MongoServerFeatures } from "./mongo-backend.js";
import { type MongoLockProviderOptions, resolveOptions } from "./options.js";

/**
 * Distributed locks stored in a MongoDB collection (one document per key). Create it with
 * {@link createMongoLockProvider}.
 */
export class MongoLockProvider extends BackendLockProvider {
  /** The client in use (created from `url`, or the one given). */
  readonly client: MongoClient;
  declare readonly backend: MongoBackend;

  constructor(options: MongoLockProviderOptions) {
    const resolved = resolveOptions(options);
    const owns = resolved.client === undefined;
    const client = resolved.client ?? new MongoClient(resolved.url!, resolved.clientOptions);
    const backend = new MongoBackend(client, owns, resolved);
    try {
      super(backend, {
        prefix: options.prefix,
        ttl: options.ttl,
        autoExtend: options.autoExtend,
        wait: options.wait,
      });
    } catch (error) {
      if (owns) void client.close().catch(() => {});
      throw error;
    }
    this.client = client;
  }

  /**
   * Connects and detects the server's features (server clock, change streams, TTL index). Optional:
   * the first lock operation does the same. Rejects when the server lacks a feature an option
   * requires, or cannot be reached.
   */
  ready(): Promise<MongoServerFeatures> {
    return this.backend.ready();
  }

  /** The features in use, once detected (undefined before the first operation or `ready()`). */
  get features(): MongoServerFeatures | undefined {
    return this.backend.features;
  }

  /**
   * The state of `key` on the server (the provider's prefix is applied), or undefined if it was
   * never locked. For operators and tests; reading it decides nothing.
   */
  inspect(key: string): Promise<MongoLockState | undefined> {
    return this.backend.inspect(this.backendKey(key));
  }

  /**
   * Frees `key` (the provider's prefix is applied) whoever holds it, keeping its fencing counter.
   * The holder finds out on its next renewal and its handle's signal aborts. For operators.
   */
  forceRelease(key: string): Promise<void> {
    return this.backend.forceRelease(this.backendKey(key));
  }

  /** The collection holding the lock documents. */
  get collection() {
    return this.backend.collection;
  }
}

/**
 * Creates a lock provider over MongoDB.
 *
 * @example
 * const locks = createMongoLockProvider({ url: "mongodb://localhost:27017/app" });
 * await using handle = await locks.getLock("reports:daily").acquire({ timeout: 5_000 });
 */
export function createMongoLockProvider(options: MongoLockProviderOptions): MongoLockProvider {
  return new MongoLockProvider(options);
}
