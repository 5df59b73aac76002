/**
 * Where this node's waiters stand in the queues of waiting nodes, as of their latest look (an
 * attempt, or a watch read): per key, the waiter id and how many live entries were ahead of it.
 * Where no change stream reports releases, a waiter's place decides how often its node reads the
 * key (see `MongoBackend.onReleased`): the head and the one behind it quickly, the others more
 * slowly the further back they are, so that a waiter knows it leads the queue by the time the
 * key is free for it, and the server sees a few quick readers per key, not one per waiting node.
 */
export class QueuePlaces {
  /** Key → this node's waiter of that key and the number of live entries ahead of it. */
  private readonly places = new Map<string, { waiterId: string; ahead: number }>();

  /** Records that `ahead` live entries were ahead of `waiterId` in the queue of `key`. */
  note(key: string, waiterId: string, ahead: number): void {
    this.places.set(key, { waiterId, ahead });
  }

  /** Forgets `waiterId` (its wait ended, or its entry is gone). */
  clear(key: string, waiterId: string): void {
    if (this.places.get(key)?.waiterId === waiterId) this.places.delete(key);
  }

  /**
   * Live entries ahead of this node's waiter of `key` (of `waiterId`, if given) at its latest
   * look; undefined when no such waiter is queued.
   */
  ahead(key: string, waiterId?: string): number | undefined {
    const place = this.places.get(key);
    return waiterId === undefined || place?.waiterId === waiterId ? place?.ahead : undefined;
  }

  /** The waiter id of this node queued for `key`, if any. */
  waiter(key: string): string | undefined {
    return this.places.get(key)?.waiterId;
  }
}
