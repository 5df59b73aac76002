import type { Document, Filter } from "mongodb";
import type { DocumentClock } from "./document-clock.js";
import type { LockDocument } from "./lock-document.js";

/**
 * Expiry decided on the server's clock with `$$NOW` in update pipelines (MongoDB 4.2+). No server
 * available to this project's tests runs update pipelines (FerretDB 1.x and mongo-java-server
 * refuse them), so this path is kept to these few writes; everything around them is shared with
 * the offset clock and tested there.
 */
export const serverTimeClock: DocumentClock = {
  source: "server",
  async acquire(key, token, ttl, waiterId) {
    return acquireOnServerClock(key, token, ttl, waiterId);
  },
  async renew(ttl) {
    return [{ $set: { expiresAt: { $add: ["$$NOW", ttl] } } }];
  },
  async free(next = null) {
    return [{ $set: { owner: null, expiresAt: "$$NOW", next: { $literal: next } } }];
  },
};

/**
 * The filter and update of an acquire when expiry is decided on the server's clock. MongoDB
 * refuses `$expr` in the filter of an upsert (error 224), so the filter is the key alone and the
 * update pipeline decides: it takes the lock only when the document is free (new, released or
 * expired by `$$NOW`) and otherwise writes every field back unchanged (a no-op: no oplog entry, no
 * change event). The caller compares the returned owner with its token. A grant clears `next` and
 * removes `waiterId`'s queue entry; the queue's order is checked by the filter the caller adds.
 */
export function acquireOnServerClock(
  key: string,
  token: string,
  ttl: number,
  waiterId?: string,
): [Filter<LockDocument>, Document[]] {
  const free = "$__locksFree";
  const dequeue =
    waiterId === undefined
      ? {}
      : {
          queue: {
            $cond: [
              free,
              {
                $filter: {
                  input: { $ifNull: ["$queue", []] },
                  cond: { $ne: ["$$this.id", { $literal: waiterId }] },
                },
              },
              "$queue",
            ],
          },
        };
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
          next: { $cond: [free, "$$REMOVE", "$next"] },
          ...dequeue,
        },
      },
      { $unset: "__locksFree" },
    ],
  ];
}
