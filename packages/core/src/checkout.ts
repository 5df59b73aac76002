import { now } from "./monotonic.js";
import { settleFirst, TIMED_OUT } from "./race.js";

/**
 * Waits for a connection being checked out of a driver's pool (which queues the request while the
 * pool is exhausted) until `signal` aborts (rejects with its reason) or the monotonic `deadline`
 * (ms, {@link now}) passes (resolves `undefined`). A connection that arrives after that holds
 * nothing of the caller's, so it is handed to `giveBack` (to return it to the pool) and not leaked.
 */
export async function checkoutBefore<T>(
  checkout: Promise<T>,
  signal: AbortSignal | undefined,
  deadline: number,
  giveBack: (late: T) => void,
): Promise<T | undefined> {
  const result = await settleFirst(checkout, signal ? [signal] : [], deadline - now(), giveBack);
  return result === TIMED_OUT ? undefined : result;
}
