import type { WaiterEntry } from "@locks/core/backend";
import type { Collection, Filter } from "mongodb";
import { leaseEnd } from "./expiry.js";
import type { LockDocument, QueueEntry } from "./lock-document.js";
import { QueuePlaces } from "./queue-places.js";
import type { ServerTimeBounds } from "./server-clock.js";

/**
 * The queue of waiting nodes of the document protocol: an array of {@link QueueEntry} in the lock
 * document itself, in arrival order. Entries are only ever appended (`$push`), refreshed in place
 * (positional `$set`) or removed (`$pull`), so the entries ahead of a waiter can only leave: a
 * waiter that knows which ids were ahead of it at its last look can require, in the filter of its
 * grant, that none of them is still live. The grant itself stays one atomic `findOneAndUpdate`
 * that also pulls the waiter's entry.
 *
 * An entry is live while its `expiresAt` (written as an upper bound of the server's time plus the
 * entry's ttl) is after a lower bound of the server's time: it lives at least its ttl of server
 * time, the same rule as a lease. Dead entries block nobody and are pulled by whoever sees them.
 */
export class DocumentQueue {
  /** Per waiter id: the ids that were ahead of it in the queue at its latest look. */
  private readonly ahead = new Map<string, readonly string[]>();
  /** Where this node's waiters stand (see {@link QueuePlaces}). */
  readonly places = new QueuePlaces();

  constructor(private readonly collection: Collection<LockDocument>) {}

  /**
   * The filter clause under which a grant keeps the queue's order: with a waiter known to be
   * queued, its entry is there and no entry that was ahead of it is still live; otherwise (a first
   * attempt, or `tryAcquire()` without a waiter) no live entry exists at all.
   */
  admits(waiter: WaiterEntry | undefined, lower: Date): Filter<LockDocument> {
    const ahead = waiter && this.ahead.get(waiter.id);
    if (!waiter || !ahead)
      return { queue: { $not: { $elemMatch: { expiresAt: { $gt: lower } } } } };
    const clauses: Filter<LockDocument>[] = [{ queue: { $elemMatch: { id: waiter.id } } }];
    if (ahead.length > 0) {
      clauses.push({
        queue: { $not: { $elemMatch: { id: { $in: [...ahead] }, expiresAt: { $gt: lower } } } },
      });
    }
    return { $and: clauses };
  }

  /**
   * Adds `waiter` at the end of the queue of `key`, or refreshes its entry in place (keeping its
   * place) to `waiter.ttl` ms from now; remembers which ids are ahead of it and pulls entries that
   * have lapsed. Resolves the document as it is after the write, or null when there is no
   * document (the key is free: the next attempt creates it).
   */
  async join(
    key: string,
    waiter: WaiterEntry,
    { lower, upper }: ServerTimeBounds,
  ): Promise<LockDocument | null> {
    const expiresAt = leaseEnd(upper, waiter.ttl);
    const options = { returnDocument: "after", useBigInt64: true } as const;
    const doc =
      (await this.collection.findOneAndUpdate(
        { _id: key, "queue.id": waiter.id },
        { $set: { "queue.$.expiresAt": expiresAt } },
        options,
      )) ??
      (await this.collection.findOneAndUpdate(
        { _id: key, "queue.id": { $ne: waiter.id } },
        { $push: { queue: { id: waiter.id, expiresAt } } },
        options,
      ));
    if (!doc) {
      this.forget(key, waiter.id);
      return null;
    }
    const queue = doc.queue ?? [];
    const index = queue.findIndex((entry) => entry.id === waiter.id);
    this.ahead.set(
      waiter.id,
      queue.slice(0, Math.max(index, 0)).map((entry) => entry.id),
    );
    const now = new Date(lower);
    this.places.note(key, waiter.id, this.liveAhead(doc, waiter.id, now));
    if (queue.some((entry) => !isLive(entry, now))) {
      // Hygiene only (dead entries block nobody): not awaited, a failure changes nothing.
      void this.collection
        .updateOne({ _id: key }, { $pull: { queue: { expiresAt: { $lte: now } } } })
        .catch(() => {});
    }
    return doc;
  }

  /** Whether a live entry that was ahead of `waiter` at its latest look is still in `doc`. */
  blocked(doc: LockDocument, waiter: WaiterEntry, lower: Date): boolean {
    return this.liveAhead(doc, waiter.id, lower) > 0;
  }

  /**
   * Reads where this node's waiter of `key` stands in `doc` (the key's document as just read, or
   * null when there is none) and records it: whether its next attempt may be granted as far as
   * the queue is concerned (no live entry that was ahead of it remains, or its entry is gone and
   * the attempt queues it again), or undefined when no waiter of this node is queued for `key`.
   */
  look(key: string, doc: LockDocument | null, lower: Date): boolean | undefined {
    const waiterId = this.places.waiter(key);
    if (waiterId === undefined) return undefined;
    if (!doc?.queue?.some((entry) => entry.id === waiterId)) return true;
    const ahead = this.liveAhead(doc, waiterId, lower);
    this.places.note(key, waiterId, ahead);
    return ahead === 0;
  }

  /** How many live entries that were ahead of `waiterId` at its latest join are still in `doc`. */
  private liveAhead(doc: LockDocument, waiterId: string, lower: Date): number {
    const ahead = new Set(this.ahead.get(waiterId) ?? []);
    return (doc.queue ?? []).filter((entry) => ahead.has(entry.id) && isLive(entry, lower)).length;
  }

  /** Forgets what this node knew of `waiterId`'s place in the queue of `key` (its wait ended). */
  forget(key: string, waiterId: string): void {
    this.ahead.delete(waiterId);
    this.places.clear(key, waiterId);
  }

  /** Removes `waiterId`'s entry from the queue of `key` at once. */
  async leave(key: string, waiterId: string): Promise<void> {
    this.forget(key, waiterId);
    await this.collection.updateOne({ _id: key }, { $pull: { queue: { id: waiterId } } });
  }
}

/** Whether `entry` is live at server time `lower` (a lower bound of the server's clock). */
export function isLive(entry: QueueEntry, lower: Date): boolean {
  return entry.expiresAt instanceof Date && entry.expiresAt.getTime() > lower.getTime();
}

/** The id of the first live entry of `queue`, if any: the waiter a release should wake. */
export function liveHead(
  queue: readonly QueueEntry[] | undefined,
  lower: Date,
): string | undefined {
  return queue?.find((entry) => isLive(entry, lower))?.id;
}
