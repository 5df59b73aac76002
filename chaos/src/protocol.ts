/**
 * Messages between the coordinator and its worker processes (Node IPC with the `advanced`
 * serialization, so bigints cross as they are).
 */
import type { FaultEvent, Section } from "./history.js";

/** What a worker process is told to do at start. */
export interface WorkerConfig {
  readonly backend: string;
  readonly urls: readonly string[];
  /** This process's number. */
  readonly proc: number;
  /** Global numbers of the workers (loops, each with its own provider) this process runs. */
  readonly workers: readonly number[];
  readonly keys: readonly string[];
  /** Lease, ms. */
  readonly ttl: number;
  /** Longest wait of one `acquire()`, ms. */
  readonly acquireTimeout: number;
  /** Longest hold of a normal section, ms (each hold is uniform in 0..hold). */
  readonly hold: number;
  readonly register: { readonly host: string; readonly port: number };
  /** A gap in the event loop longer than this is reported as an observed stall, ms. */
  readonly stallThreshold: number;
}

/** Coordinator → worker. */
export type ToWorker =
  | { readonly type: "start"; readonly config: WorkerConfig }
  | { readonly type: "ping" }
  | {
      readonly type: "fault";
      readonly kind: "kill" | "reset" | "partition" | "stall" | "overrun";
      /** Duration for partition and stall, ms. */
      readonly duration: number;
    }
  | { readonly type: "stop" };

/** Counts a worker keeps of what went wrong outside critical sections. */
export type ErrorCounts = Record<string, number>;

/** Worker → coordinator. */
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "pong"; readonly at: bigint }
  | {
      readonly type: "batch";
      readonly sections: readonly Section[];
      readonly faults: readonly FaultEvent[];
    }
  | { readonly type: "fault-failed"; readonly kind: string; readonly message: string }
  | { readonly type: "done"; readonly errors: ErrorCounts }
  /** Sent when the worker has not stopped 10 s after being told to: where it is stuck. */
  | { readonly type: "stuck"; readonly message: string }
  | { readonly type: "fatal"; readonly message: string };
