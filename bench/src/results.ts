/** The shape of `results/latest.json`. */

export type ScenarioId = "uncontended" | "parallel" | "contended" | "handoff" | "memory";

/** One implementation's figures in one scenario (and configuration). */
export interface Row {
  impl: string;
  role: "ours" | "peer" | "floor";
  /** Rows are compared within a group and configuration (e.g. 1 server vs 3 servers). */
  group: string;
  settings: string;
  /** e.g. "16 workers, 2 processes" for scenarios 3 and 4. */
  config?: string;
  metrics: Record<string, number>;
  /** The scenario's primary metric over the floor's, same group and configuration. */
  vsFloor?: number;
  /** The primary metric over the best peer's, same group and configuration. */
  vsBestPeer?: number;
  bestPeer?: string;
  error?: string;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  /** The metric ratios are computed on. */
  primary: string;
  /** Whether a smaller or a larger primary metric is better. */
  better: "lower" | "higher";
  rows: Row[];
}

export interface BackendResult {
  backend: string;
  /** Server versions and how they were obtained; absent for memory. */
  servers?: string;
  /** Why some of our implementations are absent. */
  missing: string[];
  /** Why the whole backend was skipped. */
  skipped?: string;
  scenarios: ScenarioResult[];
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
  os: string;
  memoryGiB: number;
  /** 1-minute load average at start and end: other work on the machine makes figures noisy. */
  loadAtStart: number;
  loadAtEnd?: number;
}

export interface Results {
  startedAt: string;
  durationS: number;
  quick: boolean;
  machine: Machine;
  /** The knobs of this run (rounds, samples, durations). */
  plan: Record<string, unknown>;
  backends: BackendResult[];
}

/** Fills `vsFloor`, `vsBestPeer` and `bestPeer` of every row. */
export function computeRatios(scenario: ScenarioResult): void {
  const key = (row: Row) => `${row.group}\u0000${row.config ?? ""}`;
  const primary = (row: Row) => row.metrics[scenario.primary];
  const groups = new Map<string, Row[]>();
  for (const row of scenario.rows) {
    const list = groups.get(key(row)) ?? [];
    list.push(row);
    groups.set(key(row), list);
  }
  for (const rows of groups.values()) {
    const valid = rows.filter((r) => Number.isFinite(primary(r)) && !r.error);
    const floor = valid.find((r) => r.role === "floor");
    const peers = valid.filter((r) => r.role === "peer");
    const best = peers.sort((a, b) =>
      scenario.better === "lower" ? primary(a)! - primary(b)! : primary(b)! - primary(a)!,
    )[0];
    for (const row of rows) {
      const value = primary(row);
      if (value === undefined || !Number.isFinite(value)) continue;
      if (floor && primary(floor)! > 0) row.vsFloor = value / primary(floor)!;
      if (best && primary(best)! > 0) {
        row.vsBestPeer = value / primary(best)!;
        row.bestPeer = best.impl;
      }
    }
  }
}
