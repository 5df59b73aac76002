/** How much to measure: the full run, or `--quick` (a smoke test of every code path). */
export interface Plan {
  /** Scenario 1: measured rounds, operations per implementation per round (plus one warm-up round). */
  sequentialRounds: number;
  sequentialOps: number;
  /** Scenario 2: measured rounds and length of each, ms (plus one short warm-up round). */
  parallelRounds: number;
  parallelMs: number;
  parallelKeys: number;
  /** Scenario 3: configurations, measured rounds and length of each run, ms. */
  contendedConfigs: Array<{ workers: number; processes: 1 | 2 }>;
  contendedRounds: number;
  contendedMs: number;
  contendedWarmupMs: number;
  /** Scenario 5: locks held at once. */
  heldLocks: number;
  /** Upper bound for one step (one implementation in one round), ms. */
  stepTimeoutMs: number;
}

export const FULL: Plan = {
  sequentialRounds: 6,
  sequentialOps: 500,
  parallelRounds: 4,
  parallelMs: 1_000,
  parallelKeys: 64,
  contendedConfigs: [
    { workers: 4, processes: 1 },
    { workers: 16, processes: 1 },
    { workers: 64, processes: 1 },
    { workers: 16, processes: 2 },
  ],
  contendedRounds: 3,
  contendedMs: 1_500,
  contendedWarmupMs: 300,
  heldLocks: 10_000,
  stepTimeoutMs: 60_000,
};

export const QUICK: Plan = {
  sequentialRounds: 1,
  sequentialOps: 20,
  parallelRounds: 1,
  parallelMs: 150,
  parallelKeys: 64,
  contendedConfigs: [
    { workers: 16, processes: 1 },
    { workers: 16, processes: 2 },
  ],
  contendedRounds: 1,
  contendedMs: 300,
  contendedWarmupMs: 0,
  heldLocks: 1_000,
  stepTimeoutMs: 20_000,
};

export function configLabel(config: { workers: number; processes: number }): string {
  return `${config.workers} workers, ${config.processes} process${config.processes > 1 ? "es" : ""}`;
}
