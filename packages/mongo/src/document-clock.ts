import type { Document, Filter, UpdateFilter } from "mongodb";
import { leaseEnd } from "./expiry.js";
import type { LockDocument } from "./lock-document.js";
import type { ServerClock } from "./server-clock.js";

/** An update document or an update pipeline. */
export type LockUpdate = UpdateFilter<LockDocument> | Document[];

/**
 * Where the document protocol reads "now": it builds the writes whose meaning depends on the
 * server's time. Two implementations: {@link offsetClock} (the measured offset, every server)
 * and `serverTimeClock` (`$$NOW` in update pipelines, MongoDB 4.2+).
 */
export interface DocumentClock {
  /** `"server"` or `"offset"`, as reported in the provider's features. */
  readonly source: "server" | "offset";
  /**
   * Filter and update of an acquire of `key` by `token` for `ttl` ms. A grant clears `next` and,
   * given `waiterId`, removes that waiter's queue entry.
   */
  acquire(
    key: string,
    token: string,
    ttl: number,
    waiterId?: string,
  ): Promise<[Filter<LockDocument>, LockUpdate]>;
  /** Update that renews a lease for `ttl` ms from now. */
  renew(ttl: number): Promise<LockUpdate>;
  /**
   * Update that frees a lock now (owner cleared, expiry now, counter kept) and records `next`, the
   * waiter a release notification should wake (null: any).
   */
  free(next?: string | null): Promise<LockUpdate>;
}

/**
 * Expiry decided on the client: the holder writes an upper bound of the server's time plus ttl,
 * and a contender only takes over once a lower bound of the server's time has passed it, so the
 * lease lasts at least ttl of server time.
 */
export function offsetClock(clock: ServerClock): DocumentClock {
  return {
    source: "offset",
    async acquire(key, token, ttl, waiterId) {
      const { lower, upper } = await clock.bounds();
      return [
        { _id: key, $or: [{ owner: null }, { expiresAt: { $lte: new Date(lower) } }] },
        {
          $set: { owner: token, expiresAt: leaseEnd(upper, ttl) },
          $inc: { fence: 1n },
          $max: { epoch: new Date(upper) },
          $unset: { next: "" },
          ...(waiterId === undefined ? {} : { $pull: { queue: { id: waiterId } } }),
        },
      ];
    },
    async renew(ttl) {
      return { $set: { expiresAt: leaseEnd((await clock.bounds()).upper, ttl) } };
    },
    async free(next = null) {
      return { $set: { owner: null, expiresAt: new Date((await clock.bounds()).lower), next } };
    },
  };
}
