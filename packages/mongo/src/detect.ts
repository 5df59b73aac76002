import type { Collection, Db } from "mongodb";
import { probeChangeStreams } from "./change-feed.js";
import { offsetClock } from "./document-clock.js";
import { DocumentProtocol } from "./document-protocol.js";
import { errorCode, isServerError, MongoFeatureUnsupportedError } from "./errors.js";
import { Ledger, type LedgerGrant } from "./ledger.js";
import { LedgerQueue, type LedgerQueueEntry } from "./ledger-queue.js";
import type { LockDocument } from "./lock-document.js";
import type { ResolvedMongoOptions } from "./options.js";
import type { LockProtocol } from "./protocol.js";
import type { ServerClock } from "./server-clock.js";
import { acquireOnServerClock, serverTimeClock } from "./server-time-clock.js";

/** What the provider found out about the server, and what it uses. */
export interface MongoServerFeatures {
  /**
   * `"document"`: one document per key, acquired with an atomic conditional upsert (MongoDB).
   * `"ledger"`: an append-only grant per acquisition, decided by unique inserts (FerretDB, whose
   * conditional updates are not atomic). See the README.
   */
  protocol: "document" | "ledger";
  /** Expiry is decided with `$$NOW` on the server's clock (else with the measured offset). */
  serverClock: boolean;
  /** A change stream wakes waiters (else they poll). */
  changeStream: boolean;
  /** State of the TTL index that garbage-collects idle lock documents. */
  ttlIndex: "created" | "disabled" | "unsupported" | "failed";
  /** `buildInfo.version` of the server (FerretDB reports the MongoDB version it emulates). */
  version: string | undefined;
  /** `"ferretdb"` when the server says it is FerretDB, else `"mongodb"`. */
  flavor: "mongodb" | "ferretdb";
}

/** The features, and the protocol object every lock operation goes through. */
export interface Detected {
  readonly features: MongoServerFeatures;
  readonly protocol: LockProtocol;
}

/** What detection works with. */
export interface DetectionContext {
  readonly db: Db;
  readonly collection: Collection<LockDocument>;
  readonly clock: ServerClock;
  readonly options: ResolvedMongoOptions;
  /** Lets tests run the document protocol on FerretDB one operation at a time. */
  readonly allowDocumentOnFerretDB: boolean;
}

const TTL_INDEX_NAME = "locks_expiresAt_ttl";
/** Server codes of createIndex that mean "this server cannot do that". */
const NOT_SUPPORTED = new Set([
  2, // BadValue
  115, // CommandNotSupported
  238, // NotImplemented: FerretDB 1.x has no TTL indexes
]);
/** Codes createIndex returns when an index of that name exists with other options. */
const INDEX_CONFLICT = new Set([85, 86]);

/**
 * Finds out what the server supports and builds the protocol for it, once per provider. Every
 * decision comes from a probe of the feature itself, not from the server's name, except that
 * FerretDB (which says who it is) never gets the document protocol: its conditional updates are
 * not atomic.
 */
export async function detect(ctx: DetectionContext): Promise<Detected> {
  const { db, collection, clock, options } = ctx;
  const info = await db.admin().command({ buildInfo: 1 });
  const version = typeof info.version === "string" ? info.version : undefined;
  const flavor = info.ferretdbVersion !== undefined ? "ferretdb" : "mongodb";

  const kind =
    options.protocol === "auto"
      ? flavor === "ferretdb"
        ? "ledger"
        : "document"
      : options.protocol;
  if (kind === "ledger" && options.timeSource === "server") {
    throw new MongoFeatureUnsupportedError("server clock with the ledger protocol");
  }
  if (kind === "document" && flavor === "ferretdb" && !ctx.allowDocumentOnFerretDB) {
    // Its updates re-check nothing when they write: two acquires could both win.
    throw new MongoFeatureUnsupportedError(
      'atomic conditional updates (FerretDB 1.x): use protocol "ledger" (the default there)',
    );
  }

  let protocol: LockProtocol;
  let serverClock = false;
  let ttlIndex: MongoServerFeatures["ttlIndex"] = "disabled";
  if (kind === "document") {
    if (options.timeSource !== "offset") {
      const failure = await probe("features", () =>
        // Matches nothing: only checks that the acquire's update pipeline is understood.
        collection.updateOne({ _id: { $in: [] } }, acquireOnServerClock("", "", 1)[1]),
      );
      serverClock = failure === undefined;
      if (!serverClock && options.timeSource === "server") {
        throw new MongoFeatureUnsupportedError("server clock ($$NOW in update pipelines)", failure);
      }
    }
    // The offset also times wake-ups at a holder's expiry, whichever clock decides it.
    await clock.bounds();
    protocol = new DocumentProtocol(
      collection,
      serverClock ? serverTimeClock : offsetClock(clock),
      clock,
      // FerretDB (tests only) cannot update an array element in place: no queue there.
      flavor !== "ferretdb",
    );
    ttlIndex = await ensureTtlIndex(collection, options);
  } else {
    await clock.bounds();
    const { writeConcern } = options;
    const ledger = new Ledger(
      db.collection<LedgerGrant>(options.collection, { writeConcern }),
      clock,
      new LedgerQueue(db.collection<LedgerQueueEntry>(options.collection, { writeConcern })),
    );
    // Finds a key's latest grant quickly; locking is correct without it.
    if (options.manageIndexes) await ledger.ensureIndex().catch(() => {});
    protocol = ledger;
  }

  // Releases of the ledger are not what the change feed reports: it polls.
  let changeStream = false;
  if (options.changeStream !== false && kind === "document") {
    const failure = await probe("any refusal", () => probeChangeStreams(db, options.collection));
    changeStream = failure === undefined;
    if (!changeStream && options.changeStream === true) {
      throw new MongoFeatureUnsupportedError(
        "change streams (they need a replica set and the document protocol)",
        failure,
      );
    }
  } else if (options.changeStream === true) {
    throw new MongoFeatureUnsupportedError(
      "change streams (they need a replica set and the document protocol)",
    );
  }
  return {
    features: { protocol: kind, serverClock, changeStream, ttlIndex, version, flavor },
    protocol,
  };
}

async function ensureTtlIndex(
  collection: Collection<LockDocument>,
  options: ResolvedMongoOptions,
): Promise<MongoServerFeatures["ttlIndex"]> {
  const { expireAfter, manageIndexes } = options;
  if (!manageIndexes || expireAfter === null) return "disabled";
  try {
    await collection.createIndex(
      { expiresAt: 1 },
      { name: TTL_INDEX_NAME, expireAfterSeconds: Math.ceil(expireAfter / 1000) },
    );
    return "created";
  } catch (error) {
    const code = errorCode(error);
    // An index with other options exists already: the operator's choice stands.
    if (code !== undefined && INDEX_CONFLICT.has(code)) return "created";
    if (code !== undefined && NOT_SUPPORTED.has(code)) return "unsupported";
    // Missing permissions and the like: garbage collection only, locking works without it.
    if (isServerError(error)) return "failed";
    throw error;
  }
}

/**
 * Runs a feature probe: resolves undefined if it worked, the server's refusal if it did not.
 * Network errors say nothing about features and fail detection. With `"features"`, missing
 * permissions (code 13) fail it too; with `"any refusal"` they mean "not available" (for an
 * optional feature whose absence only costs efficiency).
 */
async function probe(
  refusals: "features" | "any refusal",
  run: () => Promise<unknown>,
): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (error) {
    if (!isServerError(error)) throw error;
    if (refusals === "features" && errorCode(error) === 13) throw error;
    return error;
  }
}
