import type { SuiteContext } from "../context.js";
import { argumentScenarios } from "./arguments.js";
import { basicScenarios } from "./basic.js";
import { cancellationScenarios } from "./cancellation.js";
import { closeScenarios } from "./close.js";
import { contentionScenarios } from "./contention.js";
import { crossProcessScenarios } from "./cross-process.js";
import { diagnosticsScenarios } from "./diagnostics.js";
import { errorScenarios } from "./errors.js";
import { fairnessScenarios } from "./fairness.js";
import { fencingScenarios } from "./fencing.js";
import { keyScenarios } from "./keys.js";
import { leaseScenarios } from "./leases.js";
import { limitScenarios } from "./limits.js";
import { lostLockScenarios } from "./lost-lock.js";
import { ownershipScenarios } from "./ownership.js";
import { partitionScenarios } from "./partition.js";
import { pausedHolderScenarios } from "./paused-holder.js";
import { releaseScenarios } from "./release.js";
import { timeoutScenarios } from "./timeouts.js";
import { transientErrorScenarios } from "./transient-errors.js";
import { tryAcquireScenarios } from "./try-acquire.js";
import { wakeUpScenarios } from "./wake-up.js";

/** Registers one group of scenarios (vitest `describe`/`it` blocks) for the suite `s`. */
export type ScenarioGroup = (s: SuiteContext) => void;

/**
 * Every scenario group, in the order they run. A group is one module of `./`, self-contained: to
 * add one, write the module and add its import and its one line here (nothing else to wire).
 */
export const SCENARIO_GROUPS: readonly ScenarioGroup[] = [
  basicScenarios,
  tryAcquireScenarios,
  timeoutScenarios,
  cancellationScenarios,
  releaseScenarios,
  ownershipScenarios,
  leaseScenarios,
  lostLockScenarios,
  partitionScenarios,
  pausedHolderScenarios,
  fencingScenarios,
  keyScenarios,
  argumentScenarios,
  limitScenarios,
  transientErrorScenarios,
  errorScenarios,
  diagnosticsScenarios,
  contentionScenarios,
  crossProcessScenarios,
  wakeUpScenarios,
  fairnessScenarios,
  closeScenarios,
];
