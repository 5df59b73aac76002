import type { Collection } from "mongodb";
import type { DocumentClock } from "./document-clock.js";
import { DUPLICATE_KEY, errorCode, isServerError } from "./errors.js";
import { fencingTokenOf, type LockDocument } from "./lock-document.js";
import type { LockProtocol, MongoLease, MongoLockState } from "./protocol.js";

/**
 * One document per key, acquired with a single upserting `findOneAndUpdate` that only takes a
 * free (missing, released or expired) document. Needs a server whose conditional updates are
 * atomic (MongoDB; mongo-java-server). `clock` decides where "now" is read.
 */
export class DocumentProtocol implements LockProtocol {
  constructor(
    private readonly collection: Collection<LockDocument>,
    readonly clock: DocumentClock,
  ) {}

  async tryAcquire(key: string, ttl: number, token: string): Promise<MongoLease | undefined> {
    let doc: LockDocument | null;
    try {
      const [filter, update] = await this.clock.acquire(key, token, ttl);
      doc = await this.collection.findOneAndUpdate(filter, update, {
        upsert: true,
        returnDocument: "after",
        useBigInt64: true,
      });
    } catch (error) {
      // Another upsert inserted the document first (or, offset clock: the filter did not match a
      // held lock and the upsert's insert collided with it).
      if (errorCode(error) === DUPLICATE_KEY) return undefined;
      // The outcome is unknown (e.g. a network error after the write): give back what we may hold.
      if (!isServerError(error)) void this.releaseToken(key, token).catch(() => {});
      throw error;
    }
    if (!doc || doc.owner !== token) return undefined;
    return { key, token, fencingToken: fencingTokenOf(doc) };
  }

  async extend(lease: MongoLease, ttl: number): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: lease.key, owner: lease.token },
      await this.clock.renew(ttl),
    );
    return result.matchedCount === 1;
  }

  release(lease: MongoLease): Promise<boolean> {
    return this.releaseToken(lease.key, lease.token);
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

  private async releaseToken(key: string, token: string): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: key, owner: token },
      await this.clock.free(),
    );
    return result.matchedCount === 1;
  }
}
