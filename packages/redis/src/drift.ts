/** Clock-drift allowance (ms) subtracted from a lease's validity, for a given ttl (ms). */
export type Drift = (ttl: number) => number;

/** Redlock's allowance: `ttl × driftFactor + fixed` milliseconds. */
export function drift(driftFactor: number, fixed: number): Drift {
  return (ttl) => ttl * driftFactor + fixed;
}
