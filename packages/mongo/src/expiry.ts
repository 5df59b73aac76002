/** Largest time a JavaScript `Date` (and so a lease's `expiresAt`) can hold, ms since the epoch. */
export const MAX_DATE_MS = 8.64e15;

/**
 * Headroom between the lease ends this backend accepts and {@link MAX_DATE_MS}, in ms: covers the
 * distance between the server's clock and this process's wall clock. One year.
 */
const CLOCK_HEADROOM = 365 * 86_400_000;

/**
 * Checks, before any I/O, that a lease of `ttl` ms granted now ends inside the range of a `Date`.
 * An `expiresAt` beyond it would be stored as an invalid date (1970 once read back): the lock
 * would look expired to every contender while its holder believes it holds it.
 */
export function assertLeaseFits(ttl: number): void {
  if (!(Number.isFinite(ttl) && ttl >= 0 && Date.now() + ttl + CLOCK_HEADROOM <= MAX_DATE_MS)) {
    throw new RangeError(
      `ttl must be a number of milliseconds whose lease ends before the last representable date (${new Date(MAX_DATE_MS).toISOString()}), got ${ttl}`,
    );
  }
}

/** `at + ttl` (ms since the epoch) as a `Date`; throws rather than build an invalid one. */
export function leaseEnd(at: number, ttl: number): Date {
  const end = at + ttl;
  if (!(Number.isFinite(end) && Math.abs(end) <= MAX_DATE_MS)) {
    throw new RangeError(
      `a lease ending at ${end} ms since the epoch is beyond the range of a Date`,
    );
  }
  return new Date(end);
}
