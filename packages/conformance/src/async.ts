/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets every other ready task run once (a macrotask turn), so that overlapping holders interleave. */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits for `promise` at most `ms` milliseconds; rejects with an error naming `what` otherwise.
 * Used instead of the test timeout so that a provider that hangs fails the scenario that caught it,
 * with a message that says what did not happen. A late rejection of `promise` is swallowed, so a
 * broken provider does not also cause an unhandled rejection.
 */
export async function within<T>(awaited: PromiseLike<T>, ms: number, what: string): Promise<T> {
  const promise = Promise.resolve(awaited);
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: did not settle within ${Math.round(ms)} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The outcome of a promise, and how long it took to settle (ms). */
export type Settled<T> =
  | { ok: true; value: T; elapsed: number }
  | { ok: false; error: unknown; elapsed: number };

/** Runs `fn` (sync or async) and captures its result or error, sync throws included. */
export async function settle<T>(fn: () => T | Promise<T>): Promise<Settled<T>> {
  const started = performance.now();
  try {
    const value = await fn();
    return { ok: true, value, elapsed: performance.now() - started };
  } catch (error) {
    return { ok: false, error, elapsed: performance.now() - started };
  }
}

/** Polls `predicate` every few ms until it holds; rejects naming `what` after `ms`. */
export async function eventually(
  predicate: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline)
      throw new Error(`${what}: not true within ${Math.round(ms)} ms`);
    await sleep(5);
  }
}

/** Resolves when `signal` aborts; rejects naming `what` if it has not after `ms`. */
export function aborted(signal: AbortSignal, ms: number, what: string): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return within(
    new Promise<unknown>((resolve) =>
      signal.addEventListener("abort", () => resolve(signal.reason), { once: true }),
    ),
    ms,
    what,
  );
}
