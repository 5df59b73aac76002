import { startTimer, type Timer } from "./timers.js";

/** Outcome of {@link settleFirst} when the deadline passed first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * Waits for `promise`, but gives up when one of `signals` aborts (rejecting with its reason) or
 * when `msUntilDeadline` milliseconds have passed (resolving {@link TIMED_OUT}). A result that arrives after
 * giving up is handed to `onLate` so that, e.g., a lock granted too late is released, not leaked.
 */
export function settleFirst<T>(
  promise: Promise<T>,
  signals: readonly AbortSignal[],
  msUntilDeadline: number,
  onLate?: (value: T) => void,
): Promise<T | typeof TIMED_OUT> {
  for (const signal of signals) {
    if (signal.aborted) {
      abandon(promise, onLate);
      return Promise.reject(signal.reason);
    }
  }
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    let settled = false;
    let timer: Timer | undefined;
    const finish = () => {
      settled = true;
      timer?.cancel();
      for (const signal of signals) signal.removeEventListener("abort", onAbort);
    };
    const giveUp = () => {
      finish();
      abandon(promise, onLate);
    };
    function onAbort(this: AbortSignal) {
      if (settled) return;
      giveUp();
      reject(this.reason);
    }
    for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
    if (Number.isFinite(msUntilDeadline)) {
      // Chained: a deadline past 2³¹−1 ms must not fire early (see timers.ts).
      timer = startTimer(msUntilDeadline, () => {
        if (settled) return;
        giveUp();
        resolve(TIMED_OUT);
      });
    }
    promise.then(
      (value) => {
        if (settled) return;
        finish();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        finish();
        reject(error);
      },
    );
  });
}

function abandon<T>(promise: Promise<T>, onLate?: (value: T) => void): void {
  promise.then(
    (value) => onLate?.(value),
    () => {},
  );
}
