import { randomBytes } from "node:crypto";
import type { LockCapabilities } from "@locks/core";
import type { BackendLease, ExtendResult, LockBackend } from "@locks/core/backend";
import type { Collection, Document, Filter, MongoClient, UpdateFilter } from "mongodb";
import { ChangeFeed } from "./change-feed.js";
import { DUPLICATE_KEY, errorCode, isServerError, MongoFeatureUnsupportedError } from "./errors.js";
import { Ledger, type LedgerGrant, type LedgerLease } from "./ledger.js";
import { fencingTokenOf, type LockDocument } from "./lock-document.js";
import type { ResolvedMongoOptions } from "./options.js";
import { ServerClock } from "./server-clock.js";

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

/** What {@link MongoBackend.inspect} reports about a key. */
export interface MongoLockState {
  /** Owner token of the holder; `null` when released (it may also have expired: see `expiresAt`). */
  owner: string | null;
  /** End of the current or last lease, on the server's clock. */
  expiresAt: Date;
  /** Fencing token of the current or last grant. */
  fencingToken: bigint;
}

/** The grant of one key, kept by core in the handle. */
interface MongoLease extends BackendLease {
  readonly fencingToken: bigint;
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

/** A fresh owner token: 128 random bits. */
function ownerToken(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The MongoDB {@link LockBackend}. With the document protocol (MongoDB) one document per key,
 * acquired with a single upserting `findOneAndUpdate` that only takes a free (missing, released or
 * expired) document; with the ledger protocol (FerretDB) see {@link Ledger}.
 */
export class MongoBackend implements LockBackend {
  readonly name = "mongo";
  readonly capabilities: LockCapabilities;
  // Polling is the only wake-up on servers without change streams: keep its worst case short.
  readonly waitTuning = { minDelay: 5, maxDelay: 100 };
  readonly collection: Collection<LockDocument>;
  private readonly clock: ServerClock;
  private readonly feed: ChangeFeed;
  private readonly ledger: Ledger;
  private features: Promise<MongoServerFeatures> | undefined;
  private known: MongoServerFeatures | undefined;
  private closed = false;
  /**
   * @internal Lets tests drive the document protocol's code on FerretDB one operation at a time
   * (its sequential semantics are the same; only concurrent acquires are unsafe there).
   */
  allowDocumentOnFerretDB = false;

  constructor(
    readonly client: MongoClient,
    private readonly ownsClient: boolean,
    private readonly options: ResolvedMongoOptions,
  ) {
    const db = client.db(options.database);
    this.collection = db.collection<LockDocument>(options.collection, {
      writeConcern: options.writeConcern,
    });
    this.clock = new ServerClock(async () => {
      const reply = await db.command({ hello: 1 });
      const localTime: unknown = reply.localTime;
      if (!(localTime instanceof Date)) {
        throw new MongoFeatureUnsupportedError("`localTime` in the hello reply");
      }
      return localTime.getTime();
    });
    this.feed = new ChangeFeed(this.collection);
    this.ledger = new Ledger(
      db.collection<LedgerGrant>(options.collection, { writeConcern: options.writeConcern }),
      this.clock,
    );
    const feed = this.feed;
    this.capabilities = {
      fencing: true,
      leases: true,
      distributed: true,
      get notifications() {
        return feed.active;
      },
      // The server-side queue of waiting nodes is not implemented for MongoDB yet.
      fairness: false,
    };
  }

  /** Detects the server's features once (probes are retried after a failure). */
  ready(): Promise<MongoServerFeatures> {
    if (this.closed) return Promise.reject(new Error("the provider is closed"));
    this.features ??= this.detect().then(
      (features) => {
        this.known = features;
        return features;
      },
      (error: unknown) => {
        this.features = undefined;
        throw error;
      },
    );
    return this.features;
  }

  async tryAcquire(key: string, ttl: number): Promise<BackendLease | undefined> {
    const features = await this.ready();
    const token = ownerToken();
    if (features.protocol === "ledger") {
      try {
        return await this.ledger.tryAcquire(key, ttl, token);
      } catch (error) {
        if (!isServerError(error)) void this.ledger.abandon(key, token).catch(() => {});
        throw error;
      }
    }
    let doc: LockDocument | null;
    try {
      const [filter, update] = features.serverClock
        ? acquireOnServerClock(key, token, ttl)
        : await this.acquireOnOffset(key, token, ttl);
      doc = await this.collection.findOneAndUpdate(filter, update, {
        upsert: true,
        returnDocument: "after",
        useBigInt64: true,
      });
    } catch (error) {
      // Another upsert inserted the document first (or, offset path: the filter did not match a
      // held lock and the upsert's insert collided with it).
      if (errorCode(error) === DUPLICATE_KEY) return undefined;
      // The outcome is unknown (e.g. a network error after the write): give back what we may hold.
      if (!isServerError(error)) void this.releaseToken(key, token).catch(() => {});
      throw error;
    }
    if (!doc || doc.owner !== token) return undefined;
    const lease: MongoLease = { key, token, fencingToken: fencingTokenOf(doc) };
    return lease;
  }

  async extend(lease: BackendLease, ttl: number): Promise<ExtendResult> {
    return (await this.renew(lease, ttl)) ? "renewed" : "lost";
  }

  private async renew(lease: BackendLease, ttl: number): Promise<boolean> {
    const features = await this.ready();
    if (features.protocol === "ledger") return this.ledger.extend(lease as LedgerLease, ttl);
    const filter: Filter<LockDocument> = { _id: lease.key, owner: lease.token };
    const result = features.serverClock
      ? await this.collection.updateOne(filter, [{ $set: { expiresAt: { $add: ["$$NOW", ttl] } } }])
      : await this.collection.updateOne(filter, {
          $set: { expiresAt: new Date((await this.clock.bounds()).upper + ttl) },
        });
    return result.matchedCount === 1;
  }

  async release(lease: BackendLease): Promise<boolean> {
    const features = await this.ready();
    if (features.protocol === "ledger") return this.ledger.release(lease as LedgerLease);
    return this.releaseToken(lease.key, lease.token);
  }

  /** The state of `key` (provider prefix included) on the server, for operators and tests. */
  async inspect(key: string): Promise<MongoLockState | undefined> {
    const features = await this.ready();
    if (features.protocol === "ledger") {
      const latest = await this.ledger.latest(key);
      if (!latest) return undefined;
      return {
        owner: latest.released ? null : latest.owner,
        expiresAt: latest.expiresAt,
        fencingToken: BigInt(latest.seq),
      };
    }
    const doc = await this.collection.findOne({ _id: key }, { useBigInt64: true });
    if (!doc) return undefined;
    return { owner: doc.owner, expiresAt: doc.expiresAt, fencingToken: fencingTokenOf(doc) };
  }

  /**
   * Frees `key` whatever its holder, keeping its fencing counter (the holder notices on its next
   * renewal). For operators and fault-injection tests.
   */
  async forceRelease(key: string): Promise<void> {
    const features = await this.ready();
    if (features.protocol === "ledger") return this.ledger.break(key);
    const { lower } = features.serverClock ? { lower: Date.now() } : await this.clock.bounds();
    await this.collection.updateOne(
      { _id: key },
      { $set: { owner: null, expiresAt: new Date(lower) } },
    );
  }

  async onReleased(key: string, listener: () => void): Promise<() => void> {
    const features = await this.ready();
    const stops: Array<() => void> = [];
    if (features.changeStream) {
      try {
        await this.feed.open();
        stops.push(this.feed.subscribe(key, listener));
      } catch {
        // The stream could not be (re)opened just now: this wait polls; the next one retries.
      }
    }
    // Expiry makes no event: wake the waiter when the holder's lease runs out.
    stops.push(await this.wakeAtExpiry(key, listener));
    return () => {
      for (const stop of stops) stop();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.feed.close();
    if (this.ownsClient) await this.client.close();
  }

  /** Features detected so far (undefined before the first operation or `ready()`). */
  get detected(): MongoServerFeatures | undefined {
    return this.known;
  }

  private async releaseToken(key: string, token: string): Promise<boolean> {
    const features = await this.ready();
    const filter: Filter<LockDocument> = { _id: key, owner: token };
    const result = features.serverClock
      ? await this.collection.updateOne(filter, [{ $set: { owner: null, expiresAt: "$$NOW" } }])
      : await this.collection.updateOne(filter, {
          $set: { owner: null, expiresAt: new Date((await this.clock.bounds()).lower) },
        });
    return result.matchedCount === 1;
  }

  /**
   * The filter and update of an acquire when expiry is decided on the client: the holder writes
   * an upper bound of the server's time plus ttl, and a contender only takes over once a lower
   * bound of the server's time has passed it, so the lease lasts at least ttl of server time.
   */
  private async acquireOnOffset(
    key: string,
    token: string,
    ttl: number,
  ): Promise<[Filter<LockDocument>, UpdateFilter<LockDocument>]> {
    const { lower, upper } = await this.clock.bounds();
    return [
      { _id: key, $or: [{ owner: null }, { expiresAt: { $lte: new Date(lower) } }] },
      {
        $set: { owner: token, expiresAt: new Date(upper + ttl) },
        $inc: { fence: 1n },
        $max: { epoch: new Date(upper) },
      },
    ];
  }

  private async wakeAtExpiry(key: string, listener: () => void): Promise<() => void> {
    const features = await this.ready();
    let until: Date | undefined;
    if (features.protocol === "ledger") {
      until = await this.ledger.heldUntil(key);
    } else {
      const doc = await this.collection.findOne(
        { _id: key },
        { projection: { owner: 1, expiresAt: 1 } },
      );
      if (doc && doc.owner !== null && doc.expiresAt instanceof Date) until = doc.expiresAt;
    }
    if (until === undefined) return () => {};
    const { lower } = await this.clock.bounds();
    // Lower bound of the server time: the timer fires when the lease has surely run out.
    const delay = Math.max(0, until.getTime() - lower + 1);
    if (delay > 2 ** 31 - 1) return () => {};
    const timer = setTimeout(listener, delay);
    timer.unref();
    return () => clearTimeout(timer);
  }

  private async detect(): Promise<MongoServerFeatures> {
    const db = this.client.db(this.options.database);
    const info = await db.admin().command({ buildInfo: 1 });
    const version = typeof info.version === "string" ? info.version : undefined;
    const flavor = info.ferretdbVersion !== undefined ? "ferretdb" : "mongodb";

    const protocol =
      this.options.protocol === "auto"
        ? flavor === "ferretdb"
          ? "ledger"
          : "document"
        : this.options.protocol;
    if (protocol === "ledger" && this.options.timeSource === "server") {
      throw new MongoFeatureUnsupportedError("server clock with the ledger protocol");
    }
    if (protocol === "document" && flavor === "ferretdb" && !this.allowDocumentOnFerretDB) {
      // Its updates re-check nothing when they write: two acquires could both win.
      throw new MongoFeatureUnsupportedError(
        'atomic conditional updates (FerretDB 1.x): use protocol "ledger" (the default there)',
      );
    }

    let serverClock = false;
    if (this.options.timeSource !== "offset" && protocol === "document") {
      const failure = await probe(() =>
        // Matches nothing: only checks that the acquire's update pipeline is understood.
        this.collection.updateOne({ _id: { $in: [] } }, acquireOnServerClock("", "", 1)[1]),
      );
      serverClock = failure === undefined;
      if (!serverClock && this.options.timeSource === "server") {
        throw new MongoFeatureUnsupportedError("server clock ($$NOW in update pipelines)", failure);
      }
    }
    if (!serverClock) await this.clock.bounds();

    // Finds a key's latest grant quickly; locking is correct without it.
    if (protocol === "ledger" && this.options.manageIndexes) {
      await this.ledger.ensureIndex().catch(() => {});
    }
    const ttlIndex = protocol === "ledger" ? "disabled" : await this.ensureTtlIndex();

    // Change streams need a replica set or a sharded cluster (and are not in FerretDB 1.x). The
    // stream opens in the background: the first wait awaits it, acquires never do.
    let changeStream = false;
    if (this.options.changeStream !== false) {
      const hello = await db.command({ hello: 1 });
      changeStream =
        protocol === "document" &&
        flavor === "mongodb" &&
        (typeof hello.setName === "string" || hello.msg === "isdbgrid");
      if (!changeStream && this.options.changeStream === true) {
        throw new MongoFeatureUnsupportedError(
          "change streams (they need a replica set and the document protocol)",
        );
      }
      if (changeStream) void this.feed.open().catch(() => {});
    }
    return { protocol, serverClock, changeStream, ttlIndex, version, flavor };
  }

  private async ensureTtlIndex(): Promise<MongoServerFeatures["ttlIndex"]> {
    const { expireAfter, manageIndexes } = this.options;
    if (!manageIndexes || expireAfter === null) return "disabled";
    try {
      await this.collection.createIndex(
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
}

/**
 * The filter and update of an acquire when expiry is decided on the server's clock. MongoDB
 * refuses `$expr` in the filter of an upsert (error 224), so the filter is the key alone and the
 * update pipeline decides: it takes the lock only when the document is free (new, released or
 * expired by `$$NOW`) and otherwise writes every field back unchanged (a no-op: no oplog entry, no
 * change event). The caller compares the returned owner with its token.
 */
export function acquireOnServerClock(
  key: string,
  token: string,
  ttl: number,
): [Filter<LockDocument>, Document[]] {
  const free = "$__locksFree";
  return [
    { _id: key },
    [
      {
        $set: {
          __locksFree: {
            $or: [
              { $eq: [{ $ifNull: ["$owner", null] }, null] },
              { $lte: [{ $ifNull: ["$expiresAt", null] }, "$$NOW"] },
            ],
          },
        },
      },
      {
        $set: {
          owner: { $cond: [free, token, "$owner"] },
          expiresAt: { $cond: [free, { $add: ["$$NOW", ttl] }, "$expiresAt"] },
          fence: { $cond: [free, { $add: [{ $ifNull: ["$fence", 0n] }, 1n] }, "$fence"] },
          epoch: { $cond: [free, { $max: ["$epoch", "$$NOW"] }, "$epoch"] },
        },
      },
      { $unset: "__locksFree" },
    ],
  ];
}

/** Runs a feature probe: resolves undefined if it worked, the server's refusal if it did not. */
async function probe(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (error) {
    // Network errors and missing permissions say nothing about features: fail the operation.
    if (!isServerError(error) || errorCode(error) === 13) throw error;
    return error;
  }
}
