import { now, type WaiterEntry } from "@locks/core/backend";
import type { Collection } from "mongodb";
import { DUPLICATE_KEY, errorCode, isServerError } from "./errors.js";
import { leaseEnd } from "./expiry.js";
import type { LedgerQueue } from "./ledger-queue.js";
import type { LockProtocol, MongoLease, MongoLockState } from "./protocol.js";
import type { ServerClock } from "./server-clock.js";

/**
 * One grant in the append-only protocol: every grant of a key is a new document whose `_id`
 * (`<key>#<seq>`) is unique, so the only write that decides ownership is an insert, which every
 * MongoDB-compatible server makes atomic through the unique `_id` index.
 *
 * This protocol exists for servers whose conditional updates are not atomic: FerretDB 1.x
 * evaluates an update's filter, then writes the whole document back by `_id` without checking
 * that it still matches, so two concurrent `findOneAndUpdate`s can both "win" the same free
 * document. Here nobody but a grant's owner ever updates that grant, and a contender moves on by
 * inserting the next sequence number.
 */
export interface LedgerGrant {
  /** `<key>#<seq>`. */
  _id: string;
  /** The lock key (provider prefix included). */
  key: string;
  /** Sequence number of this grant of `key`: 1, 2, 3… (Int64). It is the fencing token. */
  seq: bigint | number;
  /** Owner token of the grant. */
  owner: string;
  /** End of the lease on the server's clock (as measured by the holder). */
  expiresAt: Date;
  /** Set by the owner's release (or by an operator breaking the lock). */
  released: boolean;
}

/** What the ledger keeps about a grant it made, beyond core's lease. */
interface GrantState {
  id: string;
  seq: bigint;
  /** Local monotonic time by which the lease is surely still valid on the server. */
  deadline: number;
  /** The removal of the granted waiter's queue entry, if it had one (never rejects). */
  left: Promise<void> | undefined;
}

/** How long (ms) the head's read of a free key lets its next attempt skip reading it again. */
const FREE_SEEN_FRESH = 20;

export function grantId(key: string, seq: bigint): string {
  return `${key}#${seq}`;
}

/**
 * The append-only lock protocol. Expiry is judged on the client with the server-time bounds of
 * {@link ServerClock}: a contender compares an expiry with the lower bound of the server's time
 * taken *before* it read the grant, and a holder's renewal only counts when its answer arrives
 * before the previous lease's local deadline. Together: a renewal that a contender could have
 * missed is reported as a loss instead. Waiting nodes queue in `queue`: a grant also needs no live
 * entry ahead of the attempt.
 */
export class Ledger implements LockProtocol {
  readonly fair = true;
  private readonly grants = new WeakMap<object, GrantState>();
  /**
   * Per key: the latest grant as this node's queue head last found it free (see {@link watch}),
   * with the local time of that read. The head's next attempt inserts the next grant at once
   * instead of reading again; should the read be stale, the insert collides or the check for a
   * newer grant after it undoes it, as for any contender that read long ago.
   */
  private readonly freeSeen = new Map<string, { seq: bigint; at: number }>();
  /** Per key while this node's waiter watches it: the latest grant's sequence number it read. */
  private readonly latestSeen = new Map<string, bigint>();
  private indexed: Promise<void> | undefined;

  constructor(
    private readonly collection: Collection<LedgerGrant>,
    private readonly clock: ServerClock,
    private readonly queue: LedgerQueue,
  ) {}

  /** Creates the indexes that find a key's latest grant and its queue in order (once). */
  ensureIndex(): Promise<void> {
    this.indexed ??= Promise.all([
      this.collection.createIndex({ key: 1, seq: -1 }, { name: "locks_key_seq" }),
      this.queue.ensureIndex(),
    ]).then(
      () => {},
      (error: unknown) => {
        this.indexed = undefined;
        throw error;
      },
    );
    return this.indexed;
  }

  /** The latest grant of `key`, if any. */
  latest(key: string): Promise<LedgerGrant | null> {
    return this.collection.findOne({ key }, { sort: { seq: -1 }, useBigInt64: true });
  }

  /**
   * The latest grant of `key` for a waiter's watch: by `_id`, the latest grant this node has seen
   * and the one after it (a filtered query costs a scan of the collection on FerretDB 1.x), and by
   * a query only when neither is there (collected: grants went on without this node looking).
   */
  private async latestById(key: string): Promise<LedgerGrant | null> {
    const seen = this.latestSeen.get(key);
    const byId = (seq: bigint) =>
      this.collection.findOne({ _id: grantId(key, seq) }, { useBigInt64: true });
    const [current, after] =
      seen === undefined ? [null, null] : await Promise.all([byId(seen), byId(seen + 1n)]);
    // Should grants have gone on past `after` too, an attempt on it collides and reads again.
    const latest = after ?? current ?? (await this.latest(key));
    if (latest) this.latestSeen.set(key, BigInt(latest.seq));
    return latest;
  }

  async tryAcquire(
    key: string,
    ttl: number,
    token: string,
    waiter?: WaiterEntry,
  ): Promise<MongoLease | undefined> {
    try {
      const lease = await this.grant(key, ttl, token, waiter);
      // A miss takes or keeps the waiter's place (a grant has removed it).
      if (waiter && !lease) await this.queue.join(key, waiter, await this.clock.bounds());
      return lease;
    } catch (error) {
      // The outcome is unknown (e.g. a network error after the insert): give back what we may hold.
      if (!isServerError(error)) void this.abandon(key, token).catch(() => {});
      throw error;
    }
  }

  async inspect(key: string): Promise<MongoLockState | undefined> {
    const latest = await this.latest(key);
    if (!latest) return undefined;
    return {
      owner: latest.released ? null : latest.owner,
      expiresAt: latest.expiresAt,
      fencingToken: BigInt(latest.seq),
    };
  }

  forceRelease(key: string): Promise<void> {
    return this.break(key);
  }

  leaveQueue(key: string, waiterId: string): Promise<void> {
    this.latestSeen.delete(key);
    this.freeSeen.delete(key);
    return this.queue.leave(waiterId);
  }

  placeInQueue(key: string, waiterId?: string): number | undefined {
    return this.queue.standing.ahead(key, waiterId);
  }

  /** Reads the queue ahead of this node's waiter, then (only when nobody is) the latest grant. */
  async watch(key: string): Promise<boolean> {
    const { lower } = await this.clock.bounds();
    // Entries only join behind a waiter (see `LedgerQueue.join`): the head need not read the
    // queue again.
    const ahead = this.placeInQueue(key) === 0 ? 0 : await this.queue.look(key, lower);
    if (ahead !== undefined && ahead > 0) return false;
    const latest = await this.latestById(key);
    const free = !latest || latest.released || latest.expiresAt.getTime() <= lower;
    if (free && ahead === 0)
      this.freeSeen.set(key, { seq: latest ? BigInt(latest.seq) : 0n, at: now() });
    return free;
  }

  private async grant(
    key: string,
    ttl: number,
    token: string,
    waiter: WaiterEntry | undefined,
  ): Promise<MongoLease | undefined> {
    const started = now();
    // Bounds taken before the read: "expired" must hold for the state we are about to see.
    const { lower, upper } = await this.clock.bounds();
    // Whether a live waiter arrived before this attempt (then it is served first even if the key
    // is free), and the key's latest grant. A waiter that led the queue at its last look reads
    // both side by side (one round trip on the hand-off); any other attempt reads the queue first
    // and stops there when it is not its turn, so that waiting nodes cost one read per attempt.
    const leads = waiter !== undefined && this.queue.standing.ahead(key, waiter.id) === 0;
    const seen = this.freeSeen.get(key);
    this.freeSeen.delete(key);
    let seq: bigint;
    if (leads && seen && now() - seen.at <= FREE_SEEN_FRESH) {
      // The head, woken by its own read of a free key just now: no entry can be ahead of it (entries
      // only join behind), so it inserts the next grant at once.
      seq = seen.seq + 1n;
    } else {
      const reading = leads ? this.latest(key) : undefined;
      reading?.catch(() => {});
      if (await this.queue.blocks(key, waiter, lower)) return undefined;
      const latest = await (reading ?? this.latest(key));
      if (latest && !latest.released && latest.expiresAt.getTime() > lower) return undefined;
      seq = (latest ? BigInt(latest.seq) : 0n) + 1n;
    }
    const id = grantId(key, seq);
    try {
      await this.collection.insertOne({
        _id: id,
        key,
        seq,
        owner: token,
        expiresAt: leaseEnd(upper, ttl),
        released: false,
      });
    } catch (error) {
      if (errorCode(error) === DUPLICATE_KEY) return undefined; // someone else took `seq`
      throw error;
    }
    // Grants older than the latest are deleted, so a contender that read long ago may have
    // re-inserted a deleted sequence number. The latest grant is never deleted: if anything
    // newer exists, ours is stale and must not count.
    // The waiter leaves the queue alongside the check; the grant does not wait for it, its release
    // does (see `release`), so the critical section overlaps the delete. Should the grant not count, the waiter queues
    // again at the end: that takes a contender that read long ago, which no fair order can rank.
    const left = waiter ? this.queue.leave(waiter.id).catch(() => {}) : undefined;
    const newer = await this.collection.findOne(
      { key, seq: { $gt: seq } },
      { projection: { _id: 1 } },
    );
    if (newer) {
      await this.collection
        .updateOne({ _id: id, owner: token }, { $set: { released: true } })
        .catch(() => {});
      return undefined;
    }
    // This node's wait on `key` is over: what its watch remembered is of no further use.
    this.latestSeen.delete(key);
    this.freeSeen.delete(key);
    const lease: MongoLease = { key, token, fencingToken: seq };
    this.grants.set(lease, { id, seq, deadline: started + ttl, left });
    // Older grants are history now: collect them (only their owners ever update them, and an
    // update of a deleted grant changes nothing).
    void this.collection.deleteMany({ key, seq: { $lt: seq } }).catch(() => {});
    return lease;
  }

  async extend(lease: MongoLease, ttl: number): Promise<boolean> {
    const grant = this.grants.get(lease);
    if (!grant) return false;
    const sent = now();
    const { upper } = await this.clock.bounds();
    const result = await this.collection.updateOne(
      { _id: grant.id, owner: lease.token, released: false },
      { $set: { expiresAt: leaseEnd(upper, ttl) } },
    );
    if (result.matchedCount !== 1) return false;
    if (now() >= grant.deadline) {
      // Written after the previous lease may have run out: a contender may have judged it
      // expired before our write. Give the grant back and report the loss.
      await this.release(lease).catch(() => {});
      return false;
    }
    const successor = await this.collection.findOne(
      { key: lease.key, seq: { $gt: grant.seq } },
      { projection: { _id: 1 } },
    );
    if (successor) return false;
    grant.deadline = sent + ttl;
    return true;
  }

  async release(lease: MongoLease): Promise<boolean> {
    const grant = this.grants.get(lease);
    if (!grant) return false;
    const { lower } = await this.clock.bounds();
    // The removal of the waiter's entry, begun at the grant, may still be under way: the release
    // goes alongside and resolves after both, so that once it has, the key is free for the next
    // waiter and no entry of this one is left ahead of it.
    const [result] = await Promise.all([
      this.collection.updateOne(
        { _id: grant.id, owner: lease.token, released: false },
        { $set: { released: true, expiresAt: new Date(lower) } },
      ),
      grant.left,
    ]);
    return result.matchedCount === 1;
  }

  /** Gives back whatever grant of `key` carries `token` (after an attempt whose outcome is unknown). */
  async abandon(key: string, token: string): Promise<void> {
    await this.collection.updateMany(
      { key, owner: token, released: false },
      { $set: { released: true } },
    );
  }

  /** The current holder's expiry, when the latest grant is held. */
  async heldUntil(key: string): Promise<Date | undefined> {
    const latest = await this.latest(key);
    return latest && !latest.released ? latest.expiresAt : undefined;
  }

  /** Breaks the lock of `key` (operators, tests): appends a released grant after the latest. */
  async break(key: string): Promise<void> {
    for (;;) {
      const latest = await this.latest(key);
      if (!latest) return;
      const seq = BigInt(latest.seq) + 1n;
      try {
        await this.collection.insertOne({
          _id: grantId(key, seq),
          key,
          seq,
          owner: "",
          expiresAt: new Date((await this.clock.bounds()).lower),
          released: true,
        });
        return;
      } catch (error) {
        if (errorCode(error) !== DUPLICATE_KEY) throw error;
      }
    }
  }
}
