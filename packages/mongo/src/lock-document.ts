/**
 * The document that holds one lock. `_id` is the key (provider prefix included).
 *
 * The fencing token of a grant is `epoch × 1000 + fence`: `fence` counts grants and is never reset
 * while the document exists; `epoch` (the server time of the latest grant, only ever raised with
 * `$max`) keeps tokens increasing even after the TTL monitor deleted an idle document, because a
 * new document's epoch is at least `expireAfter` later than the deleted one's.
 */
export interface LockDocument {
  _id: string;
  /** Owner token of the current holder; `null` when released. */
  owner: string | null;
  /** When the lease ends on the server's clock; the TTL index counts its grace period from here. */
  expiresAt: Date;
  /** Number of grants of this key (Int64). */
  fence: bigint | number;
  /** Server time of the latest grant. */
  epoch: Date;
  /** Waiting nodes in arrival order (see `document-queue.ts`); absent until someone queues. */
  queue?: QueueEntry[];
  /**
   * Set by a release: the waiter id at the head of the queue as the releaser last saw it, so that
   * a release notification wakes only that node. Cleared by every grant.
   */
  next?: string | null;
}

/** One waiting node's place in a lock document's queue. */
export interface QueueEntry {
  /** The waiter id (one per wait, see `WaiterEntry`). */
  id: string;
  /** When the entry lapses unless refreshed, on the server's clock (as bounded by the writer). */
  expiresAt: Date;
}

/** Multiplier of `epoch` (ms) in the fencing token; see {@link LockDocument}. */
export const EPOCH_SCALE = 1000n;

/** The fencing token of the grant recorded in `doc`. */
export function fencingTokenOf(doc: Pick<LockDocument, "fence" | "epoch">): bigint {
  return BigInt(doc.epoch.getTime()) * EPOCH_SCALE + BigInt(doc.fence);
}
