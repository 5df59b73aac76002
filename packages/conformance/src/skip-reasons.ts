/** Skip reasons shared by scenarios, so that a summary groups them under one line each. */
export const SKIP = {
  noLeases: "capabilities.leases is false: locks live as long as their holder and never expire",
  noFencing: "capabilities.fencing is false: handles carry no fencing token",
  noFencingOracle:
    "capabilities.fencing is false: no tokens for the oracle (the history checker still ran)",
  notDistributed:
    "capabilities.distributed is false: providers in separate processes do not share locks",
  noFairness:
    "capabilities.fairness is false: waiters on different providers race, no server-side queue",
  noChild: "options.child is not provided: no recipe to build a provider in a child process",
  notSelected: "not selected by options.scenarios",
  /** The reason for a missing fault hook. */
  noHook: (hook: string) => `faults.${hook} is not provided`,
} as const;
