import type { Backend } from "./backends.js";

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
  contendedConfigs: ContendedConfig[];
  contendedRounds: number;
  contendedMs: number;
  /**
   * Scenario 3, many nodes: a longer run (ms) for backends whose server completes fewer sections
   * in `contendedMs` than there are workers: with less than one section per worker and run, no
   * lock can spread them evenly, and the fairness index says nothing about the lock.
   */
  contendedManyNodesMs: Partial<Record<Backend, number>>;
  contendedWarmupMs: number;
  /**
   * Scenario 3, many nodes: whether each fresh instance also waits for the run's key once before
   * the run (see `warmUp`); the quick run, whose figures mean nothing, skips it.
   */
  contendedWarmUpWaits: boolean;
  /** Scenario 5: locks held at once. */
  heldLocks: number;
  /** Upper bound for one step (one implementation in one round), ms. */
  stepTimeoutMs: number;
}

/**
 * One setting of scenario 3: `workers` spread evenly over `processes`; with `nodes: "own"` every
 * worker has its own provider (or client and lock instance): many nodes, the normal deployment.
 * With `"shared"` the workers of a process share one.
 */
export interface ContendedConfig {
  workers: number;
  processes: 1 | 2 | 4;
  nodes: "own" | "shared";
}

export const FULL: Plan = {
  sequentialRounds: 6,
  sequentialOps: 500,
  parallelRounds: 4,
  parallelMs: 1_000,
  parallelKeys: 64,
  contendedConfigs: [
    { workers: 16, processes: 1, nodes: "own" },
    { workers: 16, processes: 4, nodes: "own" },
    { workers: 4, processes: 1, nodes: "shared" },
    { workers: 16, processes: 1, nodes: "shared" },
    { workers: 64, processes: 1, nodes: "shared" },
    { workers: 16, processes: 2, nodes: "shared" },
  ],
  contendedRounds: 3,
  contendedMs: 1_500,
  // FerretDB: ~8-13 sections per second with 16 own providers (each query through its SQLite
  // handler), so a 1.5 s run gives most workers one section or none.
  contendedManyNodesMs: { mongo: 6_000 },
  contendedWarmupMs: 300,
  contendedWarmUpWaits: true,
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
    { workers: 16, processes: 1, nodes: "own" },
    { workers: 16, processes: 4, nodes: "own" },
    { workers: 16, processes: 1, nodes: "shared" },
    { workers: 16, processes: 2, nodes: "shared" },
  ],
  contendedRounds: 1,
  contendedMs: 300,
  contendedManyNodesMs: {},
  contendedWarmupMs: 0,
  contendedWarmUpWaits: false,
  heldLocks: 1_000,
  stepTimeoutMs: 20_000,
};

export function configLabel(config: ContendedConfig): string {
  if (config.nodes === "own") {
    return config.processes === 1
      ? `${config.workers} own providers, 1 process`
      : `${config.processes} processes × ${config.workers / config.processes} own providers`;
  }
  return `${config.workers} workers, ${config.processes} process${config.processes > 1 ? "es" : ""}`;
}

/** Whether a row's configuration label is a many-nodes setting (each worker its own provider). */
export function isOwnProviders(label: string | undefined): boolean {
  return label?.includes("own providers") ?? false;
}
