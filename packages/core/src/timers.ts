/**
 * Node's timers hold at most 2³¹−1 ms (about 24.8 days); a longer delay fires after 1 ms with a
 * `TimeoutOverflowWarning`. Leases and waits may legitimately be longer, so long delays are
 * chained: each link waits at most {@link MAX_TIMER_DELAY} and re-arms for the rest.
 */

/** Longest delay one Node timer can hold, in milliseconds. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A cancellable timer of any finite length. */
export interface Timer {
  /** Stops the timer; `fn` will not run. Idempotent. */
  cancel(): void;
}

/**
 * Calls `fn` once `ms` milliseconds (any finite value ≥ 0) have passed on the monotonic clock.
 * `unref`: the timer does not keep the process alive.
 */
export function startTimer(ms: number, fn: () => void, unref = false): Timer {
  const due = performance.now() + Math.max(0, ms);
  let handle: NodeJS.Timeout | undefined;
  const arm = (delay: number) => {
    handle = setTimeout(
      () => {
        const left = due - performance.now();
        if (left > 0) arm(left);
        else {
          handle = undefined;
          fn();
        }
      },
      Math.min(MAX_TIMER_DELAY, Math.max(0, delay)),
    );
    if (unref) handle.unref();
  };
  arm(ms);
  return {
    cancel() {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
  };
}
