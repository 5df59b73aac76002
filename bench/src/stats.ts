/** Small, dependency-free statistics over millisecond samples. */

/** The `p`-th percentile (0–100) of `values`, by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Arithmetic mean; NaN when empty. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Jain's fairness index over per-worker counts: (Σx)² / (n·Σx²). 1 means every worker got the
 * same share; 1/n means one worker got everything. NaN when nobody got anything.
 */
export function jain(counts: readonly number[]): number {
  let sum = 0;
  let squares = 0;
  for (const c of counts) {
    sum += c;
    squares += c * c;
  }
  return squares === 0 ? Number.NaN : (sum * sum) / (counts.length * squares);
}

/** Median of per-round figures (e.g. ops/s of each round), which resists one noisy round. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
