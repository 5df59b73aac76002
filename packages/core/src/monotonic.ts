import { performance } from "node:perf_hooks";

/** Milliseconds on a monotonic clock; wall-clock jumps never shorten or lengthen a lease. */
export function now(): number {
  return performance.now();
}
