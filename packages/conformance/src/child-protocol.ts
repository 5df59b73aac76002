import type { ChildProviderRecipe } from "./options.js";

/** Parent → child: what to run. */
export interface RunMessage {
  type: "run";
  recipe: ChildProviderRecipe;
  key: string;
  child: number;
  providers: number;
  iterations: number;
  /** Acquire timeout per section (ms). */
  timeout: number;
}

/** Parent → child: all children are ready, start contending. Or: the answer to a write. */
export type ParentMessage =
  | RunMessage
  | { type: "go" }
  | { type: "ack"; id: number; accepted: boolean };

/** One hold as a child reports it (times on the shared monotonic clock, ms). */
export interface ChildHold {
  holder: string;
  start: number;
  end: number;
  token: bigint | undefined;
}

/** Child → parent. */
export type ChildMessage =
  | { type: "ready" }
  | { type: "write"; id: number; token: bigint | undefined; holder: string }
  | { type: "done"; holds: ChildHold[]; lost: number }
  | { type: "error"; message: string };
