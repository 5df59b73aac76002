import type { ChildProviderRecipe } from "./options.js";

/** Parent → paused child: take `key`, then block the event loop for `pauseMs`. */
export interface HoldMessage {
  type: "hold";
  recipe: ChildProviderRecipe;
  key: string;
  /** Lease of the lock (ms); renewed automatically, as in an application. */
  ttl: number;
  /** How long the child's event loop is blocked (ms). */
  pauseMs: number;
  /** How long the child waits after waking for its handle to report a loss (ms). */
  settleMs: number;
}

/** What the child saw after it woke. */
export interface WokeReport {
  type: "woke";
  /** Whether the handle reported the lock lost within `settleMs` after waking. */
  lost: boolean;
  /** Milliseconds from waking to the signal's abort; undefined when it did not abort. */
  lostAfterWakeMs: number | undefined;
  /** The signal's reason, by class name. */
  reason: string | undefined;
  /** `extend()` after waking: `"renewed"`, or the class name of its error. */
  extend: string;
  /** Uncaught exceptions and unhandled rejections in the child, described. */
  unhandled: string[];
}

/** Paused child → parent. */
export type PausedChildMessage = { type: "held" } | WokeReport | { type: "error"; message: string };
