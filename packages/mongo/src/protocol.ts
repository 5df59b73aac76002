import type { BackendLease, WaiterEntry } from "@locks/core/backend";

/** The grant of one key, kept by core in the handle. */
export interface MongoLease extends BackendLease {
  readonly fencingToken: bigint;
}

/** What {@link LockProtocol.inspect} reports about a key. */
export interface MongoLockState {
  /** Owner token of the holder; `null` when released (it may also have expired: see `expiresAt`). */
  owner: string | null;
  /** End of the current or last lease, on the server's clock. */
  expiresAt: Date;
  /** Fencing token of the current or last grant. */
  fencingToken: bigint;
}

/**
 * How lock state is stored and changed on the server. Chosen once, when the provider detects
 * the server's features: the document protocol (with the clock its server supports) or the
 * ledger. Every method is one lock operation; none decides anything about waiting or renewal.
 */
export interface LockProtocol {
  /**
   * Takes `key` for `ttl` ms with owner `token` if it is free and the queue of waiting nodes lets
   * this attempt in; undefined otherwise. With `waiter`: grants only if no live entry older than
   * the waiter's exists, else queues the waiter (or refreshes its entry to `waiter.ttl` ms); a
   * grant removes its entry. Without: grants only if nobody is queued, and never queues.
   */
  tryAcquire(
    key: string,
    ttl: number,
    token: string,
    waiter?: WaiterEntry,
  ): Promise<MongoLease | undefined>;
  /** Removes `waiterId`'s entry from the queue of `key` at once. */
  leaveQueue(key: string, waiterId: string): Promise<void>;
  /**
   * How many live entries were ahead of this node's waiter of `key` (of `waiterId`, if given) at
   * its latest look (0: it leads the queue); undefined when no such waiter is queued. Where no change
   * stream reports releases, it sets how often the node reads the key (`MongoBackend.onReleased`).
   */
  placeInQueue(key: string, waiterId?: string): number | undefined;
  /**
   * Reads the state of `key` and where this node's waiter stands in its queue (updating
   * {@link placeInQueue}): true when its next attempt may be granted (the key is free and no
   * live entry is ahead of it). A wake-up hint only; the attempt decides.
   */
  watch(key: string): Promise<boolean>;
  /** Whether this protocol keeps the queue of waiting nodes (cross-node fairness). */
  readonly fair: boolean;
  /** Renews the lease for `ttl` ms from now; false when the lease is no longer held. */
  extend(lease: MongoLease, ttl: number): Promise<boolean>;
  /** Frees the key if `lease` still holds it; false when it did not. */
  release(lease: MongoLease): Promise<boolean>;
  /** The state of `key`, for operators and tests. */
  inspect(key: string): Promise<MongoLockState | undefined>;
  /** Frees `key` whoever holds it, keeping its fencing counter. */
  forceRelease(key: string): Promise<void>;
  /** When the current holder's lease ends (server time), if `key` is held. */
  heldUntil(key: string): Promise<Date | undefined>;
}
