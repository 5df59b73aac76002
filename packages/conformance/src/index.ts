/**
 * `@locks/conformance`: the shared test suite every `@locks` provider passes. Run it against your
 * own provider with {@link describeLockProvider} inside a vitest test file.
 */

export { clock } from "./clock.js";
export { describeLockProvider } from "./describe.js";
export { FencedResource, type RejectedWrite } from "./fenced-resource.js";
export { describeOverlap, type Hold, HoldHistory, type Overlap } from "./hold-history.js";
export type {
  ChildProviderRecipe,
  DescribeLockProviderOptions,
  JsonValue,
  LockFaults,
  ProviderFactoryOptions,
} from "./options.js";
export { IN_PROCESS_CONTENTION } from "./scenarios/contention.js";
export { CROSS_PROCESS_CONTENTION } from "./scenarios/cross-process.js";
