/**
 * The keys for which this node's waiter was, at its latest attempt, first among the live entries
 * of the queue while the key was held: the node that should notice a release soonest. Where no
 * change stream reports releases, only that node polls quickly (see `MongoBackend.onReleased`);
 * the others keep core's slower backoff, so the server sees one fast poller per key, not one per
 * waiting node.
 */
export class QueueHeads {
  /** Key → the waiter id of this node that is at the head of its queue. */
  private readonly heads = new Map<string, string>();

  /** Records what `waiterId`'s latest attempt found: at the head of `key`'s queue or not. */
  note(key: string, waiterId: string, atHead: boolean): void {
    if (atHead) this.heads.set(key, waiterId);
    else this.clear(key, waiterId);
  }

  /** Forgets `waiterId` (its wait ended). */
  clear(key: string, waiterId: string): void {
    if (this.heads.get(key) === waiterId) this.heads.delete(key);
  }

  /** Whether a waiter of this node is at the head of `key`'s queue. */
  has(key: string): boolean {
    return this.heads.has(key);
  }
}
