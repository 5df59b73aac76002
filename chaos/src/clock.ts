/**
 * The one clock every process of a run records on. `process.hrtime.bigint()` reads libuv's
 * `uv_hrtime`, which on Linux is `clock_gettime(CLOCK_MONOTONIC)`: nanoseconds since an
 * arbitrary point fixed at boot and shared by every process on the machine (it does not jump
 * with NTP or `date -s`). So timestamps taken in different worker processes compare directly.
 * The coordinator does not take that on trust: {@link bracketed} checks it at start-up.
 */

/** Nanoseconds on the machine-wide monotonic clock. */
export function now(): bigint {
  return process.hrtime.bigint();
}

/** Nanoseconds from milliseconds. */
export function ns(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}

/** Milliseconds from a nanosecond span, for reports. */
export function ms(span: bigint): number {
  return Number(span) / 1e6;
}

/**
 * True when a worker's reading `remote` lies between the coordinator's readings `sent` (before
 * asking) and `received` (after the answer): what a clock shared by both processes must show.
 */
export function bracketed(sent: bigint, remote: bigint, received: bigint): boolean {
  return sent <= remote && remote <= received;
}

/** Resolves after `delay` milliseconds. */
export function sleep(delay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delay));
}
