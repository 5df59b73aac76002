/**
 * Milliseconds on the host's monotonic clock (`CLOCK_MONOTONIC` on Linux via `process.hrtime`).
 * Unlike `performance.now()`, whose origin is each process's own start, this clock is shared by
 * every process on the machine, so hold intervals reported by child processes can be compared
 * with each other and with the parent's without any skew correction.
 */
export function clock(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
