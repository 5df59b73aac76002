/**
 * `@locks/mongo/faults`: fault injection for tests, e.g. the `faults` hooks of
 * `@locks/conformance`. Acts the way an operator would, over a client of its own.
 *
 * MongoDB has no command that cuts another client's connections or freezes the server on every
 * MongoDB-wire server, so `dropConnections` and pauses come from the test-server layer (a TCP
 * proxy in front of the server, or SIGSTOP / `docker pause`): see `@locks/testing`.
 */
import { backendKey } from "@locks/core/backend";
import type { MongoClient } from "mongodb";
import type { MongoLockProtocol } from "./options.js";
import { MongoLockProvider } from "./provider.js";

/** Where the operator's writes go: the same database and collection as the providers'. */
export interface MongoFaultsOptions {
  /** A client to use (not closed by {@link MongoFaults.close}). Give this or `url`. */
  client?: MongoClient;
  /** Connection string for a client of its own (closed by {@link MongoFaults.close}). */
  url?: string;
  /** Database of the lock collection. Default: as the provider's. */
  database?: string;
  /** The lock collection. Default `"locks"`. */
  collection?: string;
  /** The providers' protocol; `"auto"` detects it the way they do. Default `"auto"`. */
  protocol?: MongoLockProtocol;
}

/** Fault hooks over one operator connection; call {@link close} when done. */
export interface MongoFaults {
  /**
   * Frees the lock of `key`, as a provider with `prefix` (default none) names it, behind its
   * holder's back; the fencing counter stays, so the next grant's token is still greater. The
   * holder finds out on its next renewal.
   */
  breakLock(key: string, prefix?: string): Promise<void>;
  /** Closes the operator's client if it created it. */
  close(): Promise<void>;
}

/** Creates {@link MongoFaults}. */
export function createMongoFaults(options: MongoFaultsOptions): MongoFaults {
  if (options === null || typeof options !== "object") {
    throw new TypeError("createMongoFaults needs options with `url` or `client`");
  }
  const operator = new MongoLockProvider({
    ...(options.client ? { client: options.client } : {}),
    ...(options.url !== undefined ? { url: options.url } : {}),
    ...(options.database !== undefined ? { database: options.database } : {}),
    ...(options.collection !== undefined ? { collection: options.collection } : {}),
    ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
    // The operator never waits for locks: no change stream, no TTL index of its own making.
    changeStream: false,
    manageIndexes: false,
  });
  return {
    breakLock: (key, prefix = "") => operator.backend.forceRelease(backendKey(prefix, key)),
    close: () => operator.close(),
  };
}
