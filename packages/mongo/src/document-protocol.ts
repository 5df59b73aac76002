import type { WaiterEntry } from "@locks/core/backend";
import type { Collection } from "mongodb";
import type { DocumentClock } from "./document-clock.js";
import { DocumentQueue, liveHead } from "./document-queue.js";
import { DUPLICATE_KEY, errorCode, isServerError } from "./errors.js";
import { fencingTokenOf, type LockDocument } from "./lock-document.js";
import type { LockProtocol, MongoLease, MongoLockState } from "./protocol.js";
import type { ServerClock } from "./server-clock.js";

/**
 * One document per key, acquired with a single upserting `findOneAndUpdate` that only takes a
 * free (missing, released or expired) document. Needs a server whose conditional updates are
 * atomic (MongoDB; mongo-java-server). `clock` decides where "now" is read. Waiting nodes queue in
 * the same document (see {@link DocumentQueue}) unless `queue` is off.
 */
export class DocumentProtocol implements LockProtocol {
  private readonly queue: DocumentQueue | undefined;
  /** Per lease: the waiter its release should wake (the queue's live head at the grant). */
  private readonly nextOf = new WeakMap<MongoLease, string | null>();

  constructor(
    private readonly collection: Collection<LockDocument>,
    readonly clock: DocumentClock,
    private readonly serverClock: ServerClock,
    queue = true,
  ) {
    this.queue = queue ? new DocumentQueue(collection) : undefined;
  }

  /** Whether waiting nodes are served in arrival order (the queue is on). */
  get fair(): boolean {
    return this.queue !== undefined;
  }

  async tryAcquire(
    key: string,
    ttl: number,
    token: string,
    waiter?: WaiterEntry,
  ): Promise<MongoLease | undefined> {
    const { queue } = this;
    if (!queue) return this.attempt(key, ttl, token, undefined);
    const granted = await this.attempt(key, ttl, token, waiter);
    if (granted || !waiter) {
      if (waiter) queue.forget(key, waiter.id);
      return granted;
    }
    // Missed: take (or keep) a place in the queue. The key may have been freed meanwhile with
    // nobody live ahead of this waiter (the entries ahead had lapsed): then try once more now.
    const bounds = await this.serverClock.bounds();
    const doc = await queue.join(key, waiter, bounds);
    const lower = new Date(bounds.lower);
    if (
      !doc ||
      (doc.owner !== null && doc.expiresAt > lower) ||
      queue.blocked(doc, waiter, lower)
    ) {
      return undefined;
    }
    const retried = await this.attempt(key, ttl, token, waiter);
    if (retried) queue.forget(key, waiter.id);
    return retried;
  }

  placeInQueue(key: string, waiterId?: string): number | undefined {
    return this.queue?.places.ahead(key, waiterId);
  }

  /** One read of the key's document: its holder and its queue. */
  async watch(key: string): Promise<boolean> {
    // A wake-up hint only (the attempt decides): bounds first, like an attempt's.
    const { lower } = await this.serverClock.bounds();
    const doc = await this.collection.findOne<LockDocument>(
      { _id: key },
      { projection: { owner: 1, expiresAt: 1, queue: 1 } },
    );
    const now = new Date(lower);
    const free =
      !doc || doc.owner === null || !(doc.expiresAt instanceof Date) || doc.expiresAt <= now;
    const admitted = this.queue?.look(key, doc, now) ?? true;
    return free && admitted;
  }

  /** Leaves the queue of `key` (a wait ended without a grant). */
  async leaveQueue(key: string, waiterId: string): Promise<void> {
    await this.queue?.leave(key, waiterId);
  }

  /** One conditional upsert: a grant if the key is free and the queue lets `waiter` (or anyone) in. */
  private async attempt(
    key: string,
    ttl: number,
    token: string,
    waiter: WaiterEntry | undefined,
  ): Promise<MongoLease | undefined> {
    let doc: LockDocument | null;
    try {
      const [filter, update] = await this.clock.acquire(key, token, ttl, waiter?.id);
      const admits = this.queue?.admits(waiter, new Date((await this.serverClock.bounds()).lower));
      doc = await this.collection.findOneAndUpdate(
        admits ? { ...filter, $and: [admits] } : filter,
        update,
        { upsert: true, returnDocument: "after", useBigInt64: true },
      );
    } catch (error) {
      // Another upsert inserted the document first (or, offset clock: the filter did not match a
      // held lock and the upsert's insert collided with it).
      if (errorCode(error) === DUPLICATE_KEY) return undefined;
      // The outcome is unknown (e.g. a network error after the write): give back what we may hold.
      if (!isServerError(error)) void this.releaseToken(key, token).catch(() => {});
      throw error;
    }
    if (!doc || doc.owner !== token) return undefined;
    const lease: MongoLease = { key, token, fencingToken: fencingTokenOf(doc) };
    if (this.queue) {
      const lower = new Date((await this.serverClock.bounds()).lower);
      this.nextOf.set(lease, liveHead(doc.queue, lower) ?? null);
    }
    return lease;
  }

  async extend(lease: MongoLease, ttl: number): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: lease.key, owner: lease.token },
      await this.clock.renew(ttl),
    );
    return result.matchedCount === 1;
  }

  release(lease: MongoLease): Promise<boolean> {
    return this.releaseToken(lease.key, lease.token, this.nextOf.get(lease));
  }

  async inspect(key: string): Promise<MongoLockState | undefined> {
    const doc = await this.collection.findOne({ _id: key }, { useBigInt64: true });
    if (!doc) return undefined;
    return { owner: doc.owner, expiresAt: doc.expiresAt, fencingToken: fencingTokenOf(doc) };
  }

  async forceRelease(key: string): Promise<void> {
    await this.collection.updateOne({ _id: key }, await this.clock.free());
  }

  async heldUntil(key: string): Promise<Date | undefined> {
    const doc = await this.collection.findOne(
      { _id: key },
      { projection: { owner: 1, expiresAt: 1 } },
    );
    return doc && doc.owner !== null && doc.expiresAt instanceof Date ? doc.expiresAt : undefined;
  }

  private async releaseToken(key: string, token: string, next?: string | null): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: key, owner: token },
      await this.clock.free(next),
    );
    return result.matchedCount === 1;
  }
}
