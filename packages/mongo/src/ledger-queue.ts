import { now, type WaiterEntry } from "@locks/core/backend";
import type { Collection } from "mongodb";
import { DUPLICATE_KEY, errorCode } from "./errors.js";
import { leaseEnd } from "./expiry.js";
import { QueueHeads } from "./queue-heads.js";
import type { ServerTimeBounds } from "./server-clock.js";

/**
 * One waiting node's entry in the ledger's queue: a document of its own in the lock collection,
 * `<key>#q<n>`, where `n` is its arrival number. It has no `key` field, so the ledger's queries
 * for grants never see it (and `#q<n>` never ends a grant's `<key>#<seq>`).
 */
export interface LedgerQueueEntry {
  /** `<key>#q<n>`. */
  _id: string;
  /** The lock key (provider prefix included) this entry waits for. */
  waits: string;
  /** Arrival number among the entries of `waits` (Int64): smaller is served first. */
  n: bigint | number;
  /** The waiter id (one per wait, see `WaiterEntry`). */
  waiter: string;
  /** When the entry lapses unless refreshed, on the server's clock (as bounded by the writer). */
  expiresAt: Date;
}

/** Where a waiter's entry is, as this node created it. */
interface Place {
  readonly id: string;
  readonly key: string;
  readonly n: bigint;
  /** Local monotonic time (ms) of the entry's latest write. */
  written: number;
}

/** Inserts of the next arrival number that may collide with other arrivals before giving up. */
const ARRIVAL_ATTEMPTS = 8;

/**
 * The queue of waiting nodes of the ledger protocol. Like the ledger's grants, an entry's place is
 * decided by a unique insert only (`<key>#q<n>` after reading the largest `n`), because the
 * servers the ledger exists for (FerretDB 1.x) do not make conditional updates atomic. Only an
 * entry's owner updates it (to refresh its expiry) or removes it; anyone may delete entries that
 * have lapsed. The queue decides fairness only: a grant is still a unique insert of the ledger.
 */
export class LedgerQueue {
  /** Per waiter id: its entry, once this node created it. */
  private readonly places = new Map<string, Place>();
  /** Keys whose queue this node's waiter leads (see {@link QueueHeads}). */
  readonly heads = new QueueHeads();

  constructor(private readonly collection: Collection<LedgerQueueEntry>) {}

  /** Creates the `{ waits: 1, n: 1 }` index that finds a key's entries in order. */
  async ensureIndex(): Promise<void> {
    await this.collection.createIndex({ waits: 1, n: 1 }, { name: "locks_waits_n" });
  }

  /**
   * Whether a live entry is served before this attempt: one that arrived before `waiter`'s entry,
   * or any live entry when the attempt has no entry yet (a first attempt, or `tryAcquire()`).
   * `lower` is a lower bound of the server's time, in ms since the epoch.
   */
  async blocks(key: string, waiter: WaiterEntry | undefined, lower: number): Promise<boolean> {
    const place = waiter && this.places.get(waiter.id);
    const ahead = await this.collection.findOne(
      {
        waits: key,
        expiresAt: { $gt: new Date(lower) },
        ...(place ? { n: { $lt: place.n } } : {}),
      },
      { projection: { _id: 1 } },
    );
    if (place && waiter) this.heads.note(key, waiter.id, ahead === null);
    return ahead !== null;
  }

  /**
   * Refreshes `waiter`'s entry to `waiter.ttl` ms from now (it keeps its place), or adds one at the
   * end of the queue when it has none (first miss, or it lapsed and was collected). A refresh is
   * skipped while the entry was written less than a quarter of its ttl ago: core attempts again
   * within a third of it, so the entry is rewritten well before it lapses, and a waiting node
   * costs the server one read per attempt instead of two writes.
   */
  async join(key: string, waiter: WaiterEntry, { lower, upper }: ServerTimeBounds): Promise<void> {
    const expiresAt = leaseEnd(upper, waiter.ttl);
    const place = this.places.get(waiter.id);
    if (place && now() - place.written < waiter.ttl / 4) return;
    if (place) {
      const written = now();
      const refreshed = await this.collection.updateOne(
        { _id: place.id, waiter: waiter.id },
        { $set: { expiresAt } },
      );
      if (refreshed.matchedCount === 1) {
        place.written = written;
        return;
      }
      this.forget(waiter.id);
    }
    for (let attempt = 0; attempt < ARRIVAL_ATTEMPTS; attempt++) {
      const last = await this.collection.findOne(
        { waits: key },
        { sort: { n: -1 }, projection: { n: 1 }, useBigInt64: true },
      );
      const n = (last ? BigInt(last.n) : 0n) + 1n;
      const id = `${key}#q${n}`;
      const written = now();
      try {
        await this.collection.insertOne({ _id: id, waits: key, n, waiter: waiter.id, expiresAt });
      } catch (error) {
        if (errorCode(error) === DUPLICATE_KEY) continue; // another node arrived with that number
        throw error;
      }
      this.places.set(waiter.id, { id, key, n, written });
      // Hygiene (lapsed entries block nobody): not awaited, a failure changes nothing.
      void this.collection
        .deleteMany({ waits: key, expiresAt: { $lte: new Date(lower) } })
        .catch(() => {});
      return;
    }
    // Every number was taken by a concurrent arrival: the next attempt tries again.
  }

  /** Removes `waiterId`'s entry at once (its wait ended: granted, aborted or timed out). */
  async leave(waiterId: string): Promise<void> {
    const place = this.places.get(waiterId);
    if (!place) return;
    this.forget(waiterId);
    await this.collection.deleteOne({ _id: place.id, waiter: waiterId });
  }

  /** Forgets `waiterId`'s entry (it is gone, or about to be). */
  private forget(waiterId: string): void {
    const place = this.places.get(waiterId);
    if (!place) return;
    this.places.delete(waiterId);
    this.heads.clear(place.key, waiterId);
  }
}
