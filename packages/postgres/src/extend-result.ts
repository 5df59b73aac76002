/**
 * The outcome of a renewal or ownership check: `"renewed"` (still held), `"lost"` (definitely not
 * held any more), `"unknown"` (could not tell; core retries until the lease's known deadline).
 */
export type ExtendResult = "renewed" | "lost" | "unknown";

/**
 * Until `@locks/core`'s `LockBackend.extend` resolves an {@link ExtendResult}, it resolves a
 * boolean and treats a throw as "unknown": this maps one onto the other.
 */
export function toLegacyExtend(result: ExtendResult): boolean {
  if (result === "unknown") throw new Error("could not tell whether the lock is still held");
  return result === "renewed";
}
