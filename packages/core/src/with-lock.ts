import type { AcquireOptions, DistributedLock, LockHandle } from "./types.js";

/**
 * Acquires `lock`, runs `fn` with the handle, and releases the lock however `fn` ends.
 * Rejects like {@link DistributedLock.acquire} when the lock cannot be had within `options.timeout`.
 *
 * @example
 * await withLock(locks.getLock("invoice:42"), async (handle) => {
 *   await charge({ fencingToken: handle.fencingToken, signal: handle.signal });
 * }, { timeout: 5_000 });
 */
export async function withLock<T>(
  lock: DistributedLock,
  fn: (handle: LockHandle) => Promise<T>,
  options?: AcquireOptions,
): Promise<T> {
  const handle = await lock.acquire(options);
  try {
    return await fn(handle);
  } finally {
    await handle.release();
  }
}
