import { checkBoolean, checkDuration, type LockProviderOptions } from "@locks/core/backend";
import type { MongoClient, MongoClientOptions, WriteConcernSettings } from "mongodb";

/**
 * Where expiry is decided.
 * - `"server"`: on the server's clock, with `$$NOW` in an update pipeline and an `$expr` filter
 *   (MongoDB 4.2+). Fails if the server lacks them.
 * - `"offset"`: on the client, from the server time measured with `hello` (bounded by the round
 *   trip) and advanced on the local monotonic clock.
 * - `"auto"`: `"server"` when a probe shows the server supports it, else `"offset"`.
 */
export type MongoTimeSource = "auto" | "server" | "offset";

/**
 * How lock state is stored.
 * - `"document"`: one document per key, acquired with one atomic conditional upsert
 *   (`findOneAndUpdate`). Needs a server whose conditional updates are atomic (MongoDB).
 * - `"ledger"`: one document per grant (`<key>#<seq>`), decided by unique inserts only. For servers
 *   whose updates are not atomic compare-and-set operations (FerretDB 1.x).
 * - `"auto"`: `"ledger"` on FerretDB, else `"document"`.
 */
export type MongoLockProtocol = "auto" | "document" | "ledger";

/**
 * Order in which waiters on different providers get a key.
 * - `"fifo"`: in order of arrival, through the key's queue of waiting nodes.
 * - `"none"`: waiting providers race; each attempt takes the key if it is free. Such a provider
 *   never queues, and does not take a key that `"fifo"` providers are queued for.
 */
export type MongoFairness = "fifo" | "none";

/** Options of {@link createMongoLockProvider}. Give exactly one of `url` and `client`. */
export interface MongoLockProviderOptions extends LockProviderOptions {
  /** Connection string; the provider creates a client and closes it on `close()`. */
  url?: string;
  /** Extra driver options for the client created from `url`. */
  clientOptions?: MongoClientOptions;
  /** An existing client. The provider uses it and never closes it. */
  client?: MongoClient;
  /** Database name. Default: the database of the connection string, else the driver's default (`"test"`). */
  database?: string;
  /** Collection of lock documents. Default `"locks"`. */
  collection?: string;
  /** Write concern of every lock write. Default `{ w: "majority" }`. */
  writeConcern?: WriteConcernSettings;
  /** How lock state is stored; see {@link MongoLockProtocol}. Default `"auto"`. */
  protocol?: MongoLockProtocol;
  /** Where expiry is decided; see {@link MongoTimeSource}. Default `"auto"`. */
  timeSource?: MongoTimeSource;
  /**
   * Wake waiters with a change stream on the collection: `"auto"` uses one when the server
   * supports it (replica set or sharded cluster), `false` never does (polling only), `true`
   * requires one (waiting fails with `MongoFeatureUnsupportedError` otherwise). Default `"auto"`.
   */
  changeStream?: boolean | "auto";
  /**
   * Milliseconds after a lock's expiry (or release) at which the TTL monitor may delete its
   * document, as garbage collection only. At least 60_000. `null`: create no TTL index and keep
   * documents forever. Default 86_400_000 (one day).
   */
  expireAfter?: number | null;
  /** Create the TTL index on first use (idempotent). Default true. */
  manageIndexes?: boolean;
  /** Order of waiters between providers; see {@link MongoFairness}. Default `"fifo"`. */
  fairness?: MongoFairness;
}

/** Options after validation, with defaults applied. */
export interface ResolvedMongoOptions {
  url: string | undefined;
  clientOptions: MongoClientOptions | undefined;
  client: MongoClient | undefined;
  database: string | undefined;
  collection: string;
  writeConcern: WriteConcernSettings;
  protocol: MongoLockProtocol;
  timeSource: MongoTimeSource;
  changeStream: boolean | "auto";
  expireAfter: number | null;
  manageIndexes: boolean;
  fairness: MongoFairness;
}

/** Default {@link MongoLockProviderOptions.collection}. */
export const DEFAULT_COLLECTION = "locks";
/** Default {@link MongoLockProviderOptions.expireAfter}, in milliseconds. */
export const DEFAULT_EXPIRE_AFTER = 86_400_000;
/** Smallest {@link MongoLockProviderOptions.expireAfter} (the TTL monitor runs once a minute). */
export const MIN_EXPIRE_AFTER = 60_000;

const KNOWN = new Set([
  "url",
  "clientOptions",
  "client",
  "database",
  "collection",
  "writeConcern",
  "protocol",
  "timeSource",
  "changeStream",
  "expireAfter",
  "manageIndexes",
  "fairness",
  "prefix",
  "ttl",
  "autoExtend",
  "wait",
]);

/** Validates the Mongo-specific options; core validates `prefix`, `ttl`, `autoExtend` and `wait`. */
export function resolveOptions(options: MongoLockProviderOptions): ResolvedMongoOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError("options must be an object with `url` or `client`");
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name))
      throw new TypeError(`Unknown option "${name}" of the Mongo lock provider`);
  }
  const { url, client } = options;
  if ((url === undefined) === (client === undefined)) {
    throw new TypeError("Give exactly one of `url` and `client`");
  }
  if (url !== undefined && (typeof url !== "string" || !/^mongodb(\+srv)?:\/\//.test(url))) {
    throw new TypeError("url must be a mongodb:// or mongodb+srv:// connection string");
  }
  if (client !== undefined && (client === null || typeof client.db !== "function")) {
    throw new TypeError("client must be a MongoClient");
  }
  if (options.clientOptions !== undefined) {
    if (client !== undefined) throw new TypeError("clientOptions only applies with `url`");
    if (options.clientOptions === null || typeof options.clientOptions !== "object") {
      throw new TypeError("clientOptions must be an object");
    }
  }
  const database = optionalName(options.database, "database");
  const collection = optionalName(options.collection, "collection") ?? DEFAULT_COLLECTION;
  if (collection.startsWith("system.") || collection.includes("$")) {
    throw new TypeError(`collection "${collection}" is not a valid collection name`);
  }
  const writeConcern = options.writeConcern ?? { w: "majority" };
  if (writeConcern === null || typeof writeConcern !== "object") {
    throw new TypeError("writeConcern must be an object such as { w: 'majority' }");
  }
  const protocol = options.protocol ?? "auto";
  if (protocol !== "auto" && protocol !== "document" && protocol !== "ledger") {
    throw new TypeError(`protocol must be "auto", "document" or "ledger", got ${String(protocol)}`);
  }
  const timeSource = options.timeSource ?? "auto";
  if (protocol === "ledger" && timeSource === "server") {
    throw new TypeError(
      'protocol "ledger" decides expiry on the measured offset: timeSource "server" is not possible',
    );
  }
  if (timeSource !== "auto" && timeSource !== "server" && timeSource !== "offset") {
    throw new TypeError(
      `timeSource must be "auto", "server" or "offset", got ${String(timeSource)}`,
    );
  }
  const changeStream = options.changeStream ?? "auto";
  if (changeStream !== "auto" && typeof changeStream !== "boolean") {
    throw new TypeError('changeStream must be a boolean or "auto"');
  }
  let expireAfter: number | null = DEFAULT_EXPIRE_AFTER;
  if (options.expireAfter !== undefined) {
    expireAfter =
      options.expireAfter === null ? null : checkDuration(options.expireAfter, "expireAfter");
    if (expireAfter !== null && expireAfter < MIN_EXPIRE_AFTER) {
      throw new RangeError(`expireAfter must be >= ${MIN_EXPIRE_AFTER} ms, got ${expireAfter}`);
    }
  }
  const manageIndexes = checkBoolean(options.manageIndexes, "manageIndexes") ?? true;
  const fairness = options.fairness ?? "fifo";
  if (fairness !== "fifo" && fairness !== "none") {
    throw new TypeError(`fairness must be "fifo" or "none", got ${String(fairness)}`);
  }
  return {
    url,
    clientOptions: options.clientOptions,
    client,
    database,
    collection,
    writeConcern,
    protocol,
    timeSource,
    changeStream,
    expireAfter,
    manageIndexes,
    fairness,
  };
}

function optionalName(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.includes("\0")) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
  return value;
}
