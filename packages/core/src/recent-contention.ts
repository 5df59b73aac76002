import { now } from "./monotonic.js";

/** How long (ms) a key counts as contended after a wait of this provider found it taken. */
export const RECENT_CONTENTION_MS = 2_000;
/** Most keys remembered at once; the oldest are forgotten first. */
export const RECENT_CONTENTION_KEYS = 1_024;

/**
 * The keys for which a wait of one provider found the key taken lately. A wait for such a key
 * subscribes to its release notifications before its first attempt instead of after it: a
 * release is then never missed between the two, so the wait needs no second attempt to cover
 * that window. On a key that is free most of the time, listening first would cost a subscription
 * per acquisition for nothing, so only keys seen contended within {@link RECENT_CONTENTION_MS}
 * get it. Bounded: at most {@link RECENT_CONTENTION_KEYS} keys, the least recently contended
 * forgotten first.
 */
export class RecentContention {
  /** Key → monotonic time it was last found taken; in that order (oldest first). */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs = RECENT_CONTENTION_MS,
    private readonly capacity = RECENT_CONTENTION_KEYS,
  ) {}

  /** Records that a wait found `key` taken just now. */
  note(key: string): void {
    const at = now();
    this.seen.delete(key);
    this.seen.set(key, at);
    const cutoff = at - this.windowMs;
    for (const [oldest, since] of this.seen) {
      if (this.seen.size <= this.capacity && since > cutoff) break;
      this.seen.delete(oldest);
    }
  }

  /** Whether a wait found `key` taken within the window. */
  has(key: string): boolean {
    const at = this.seen.get(key);
    return at !== undefined && now() - at <= this.windowMs;
  }

  /** How many keys are remembered (expired ones may still count until the next `note`). */
  get size(): number {
    return this.seen.size;
  }
}
