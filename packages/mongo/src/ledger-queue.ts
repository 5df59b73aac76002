import { now, type WaiterEntry } from "@locks/core/backend";
import type { Collection } from "mongodb";
import { DUPLICATE_KEY, errorCode } from "./errors.js";
import { leaseEnd } from "./expiry.js";
import { QueuePlaces } from "./queue-places.js";
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
  /**
   * The live entries ahead of it at its latest count, in arrival order (at most
   * {@link COUNTED_AHEAD}; `complete` when that was all of them). Entries only ever leave from
   * ahead of a waiter, so the waiter follows its place by reading the first of them by `_id`.
   */
  ahead?: { ids: string[]; complete: boolean };
}

/**
 * How many live entries ahead of a waiter are counted: further back, a waiter's node reads the
 * queue at its slowest anyway (see `MongoBackend.onReleased`).
 */
const COUNTED_AHEAD = 10;

/** Arrivals between two collections of a key's lapsed entries. */
const COLLECT_EVERY = 8n;

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
  /** Where this node's waiters stand (see {@link QueuePlaces}). */
  readonly standing = new QueuePlaces();

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
    if (!place || !waiter) return (await this.entriesAhead(key, undefined, lower, 1)).length > 0;
    return (await this.count(key, waiter.id, place, lower)) > 0;
  }

  /**
   * Reads how many live entries are ahead of this node's waiter of `key` (up to a few) and
   * records it; undefined when no waiter of this node has an entry for `key`. Reads the entries
   * known to be ahead by `_id`, first first, until one is live (a filtered query costs a scan of
   * the collection on FerretDB 1.x), and counts again only when all of them are gone and there
   * may be more.
   */
  async look(key: string, lower: number): Promise<number | undefined> {
    const waiterId = this.standing.waiter(key);
    const place = waiterId === undefined ? undefined : this.places.get(waiterId);
    if (!place || waiterId === undefined) return undefined;
    const known = place.ahead;
    // Each hand-off since the latest look removed the first of them: drop those until one is live.
    while (known && known.ids.length > 0) {
      const first = await this.collection.findOne(
        { _id: known.ids[0]! },
        { projection: { expiresAt: 1 } },
      );
      if (first && first.expiresAt.getTime() > lower) break;
      known.ids.shift();
    }
    if (known && (known.ids.length > 0 || known.complete)) {
      this.standing.note(key, waiterId, known.ids.length);
      return known.ids.length;
    }
    return this.count(key, waiterId, place, lower);
  }

  /** Counts the live entries ahead of `place` (up to a few) and records them. */
  private async count(key: string, waiterId: string, place: Place, lower: number): Promise<number> {
    const ids = await this.entriesAhead(key, place.n, lower, COUNTED_AHEAD);
    place.ahead = { ids, complete: ids.length < COUNTED_AHEAD };
    this.standing.note(key, waiterId, ids.length);
    return ids.length;
  }

  /** Ids of the live entries of `key` (arrived before number `before`, if given), first first. */
  private async entriesAhead(
    key: string,
    before: bigint | undefined,
    lower: number,
    limit: number,
  ): Promise<string[]> {
    const found = await this.collection
      .find(
        {
          waits: key,
          expiresAt: { $gt: new Date(lower) },
          ...(before === undefined ? {} : { n: { $lt: before } }),
        },
        { projection: { _id: 1 }, sort: { n: 1 }, limit },
      )
      .toArray();
    return found.map((entry) => entry._id);
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
      // Only a live entry keeps its place: one that lapsed has lost it (the waiters behind it may
      // have gone ahead), so its waiter joins again at the end. Entries therefore never appear
      // ahead of a waiter, and the head need not read the queue again.
      const refreshed = await this.collection.updateOne(
        { _id: place.id, waiter: waiter.id, expiresAt: { $gt: new Date(lower) } },
        { $set: { expiresAt } },
      );
      if (refreshed.matchedCount === 1) {
        place.written = written;
        return;
      }
      this.forget(waiter.id);
      // The lapsed entry blocks nobody; collect it (hygiene only).
      void this.collection.deleteOne({ _id: place.id, waiter: waiter.id }).catch(() => {});
    }
    const last = await this.collection.findOne(
      { waits: key },
      { sort: { n: -1 }, projection: { n: 1 }, useBigInt64: true },
    );
    let n = last ? BigInt(last.n) : 0n;
    for (let attempt = 0; attempt < ARRIVAL_ATTEMPTS; attempt++) {
      // Another node arrived with that number: take the next one (no need to read again).
      n += 1n;
      const id = `${key}#q${n}`;
      const written = now();
      try {
        await this.collection.insertOne({ _id: id, waits: key, n, waiter: waiter.id, expiresAt });
      } catch (error) {
        if (errorCode(error) === DUPLICATE_KEY) continue;
        throw error;
      }
      this.places.set(waiter.id, { id, key, n, written });
      // Hygiene (lapsed entries block nobody), every few arrivals: not awaited, a failure
      // changes nothing.
      if (n % COLLECT_EVERY === 0n) {
        void this.collection
          .deleteMany({ waits: key, expiresAt: { $lte: new Date(lower) } })
          .catch(() => {});
      }
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
    this.standing.clear(place.key, waiterId);
  }
}
