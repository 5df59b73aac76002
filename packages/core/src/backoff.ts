import type { WaitTuning } from "./lock-backend.js";

/**
 * Exponential backoff with jitter: each delay doubles up to `maxDelay`, and is drawn uniformly
 * from [d/2, d] so that waiters on many nodes do not poll in lockstep.
 */
export class Backoff {
  private attempt = 0;
  constructor(private readonly tuning: WaitTuning) {}

  /** Next delay in milliseconds. */
  next(): number {
    const base = Math.min(this.tuning.maxDelay, this.tuning.minDelay * 2 ** this.attempt);
    if (base < this.tuning.maxDelay) this.attempt++;
    return base / 2 + Math.random() * (base / 2);
  }

  /** Start again from `minDelay` (after a notification: the holder changed). */
  reset(): void {
    this.attempt = 0;
  }
}
