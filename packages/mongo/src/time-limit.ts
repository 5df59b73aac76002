import { MAX_TIMER_DELAY } from "@locks/core/backend";

/**
 * Settles like `operation`, or rejects after `ms` milliseconds (at most 2³¹−1) if it has not settled by then (the
 * operation itself goes on; its late result is ignored).
 */
export async function withinTime<T>(operation: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the server did not answer ${what} within ${ms} ms`)),
      Math.min(ms, MAX_TIMER_DELAY),
    );
  });
  try {
    return await Promise.race([operation, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Settles like `operation`, or resolves `fallback` after `ms` milliseconds (at most 2³¹−1) if it
 * has not settled by then (the operation goes on; its late result is ignored).
 */
export async function settleBy<T>(operation: Promise<T>, ms: number, fallback: T): Promise<T> {
  if (ms > MAX_TIMER_DELAY) return operation;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([operation, late]);
  } finally {
    clearTimeout(timer);
  }
}
