/**
 * What a run records: critical sections (from the workers) and faults (from whoever injected
 * them). Every timestamp is nanoseconds on the machine-wide monotonic clock (see clock.ts).
 */

/** How the fenced register answered a section's write. */
export type WriteOutcome =
  /** Accepted: the token was newer than every token the register had seen for the key. */
  | "accepted"
  /** Rejected: the register had already seen a token at least as new. */
  | "stale"
  /** The backend has no fencing tokens, so the register cannot fence; the write was not made. */
  | "unfenced"
  /** The register could not be reached. */
  | "error";

/** One critical section: from the moment `acquire()` resolved to the moment the work ended. */
export interface Section {
  /** Worker (one provider, one loop) that held the lock. */
  readonly worker: number;
  /** OS process the worker runs in: faults that hit a process hit all its workers. */
  readonly proc: number;
  /** Lock key, as given to `getLock`. */
  readonly key: string;
  /** The handle's fencing token; undefined on backends without fencing. */
  readonly token: bigint | undefined;
  /** When `acquire()` was called. */
  readonly acquireStart: bigint;
  /** When `acquire()` resolved the handle. */
  readonly enter: bigint;
  /** When the work ended (before `release()`). */
  readonly exit: bigint;
  /**
   * When the holder was first told the lock was lost (`signal` aborted or `lost` true), if that
   * happened by `exit`; undefined when the holder never knew.
   */
  readonly lostAt: bigint | undefined;
  /** The section deliberately held past its lease without renewing (`overrun` fault). */
  readonly overrun: boolean;
  /** The fenced register's answer. */
  readonly write: WriteOutcome;
}

/** Kinds of injected fault. */
export type FaultKind =
  /** SIGSTOP of a worker process (a holder or a waiter) for 2–3× the lease, then SIGCONT. */
  | "pause"
  /** The worker's event loop blocked (like a long GC pause) for 2–3× the lease. */
  | "stall"
  /** One section holds 2–3× its lease with renewal off. */
  | "overrun"
  /** The worker's connections killed by the server's own means (`CLIENT KILL`, `KILL`). */
  | "kill"
  /** TCP resets of every connection of the worker, through its TCP proxy. */
  | "reset"
  /** The worker's TCP proxy stops forwarding for 2–3× the lease (a network partition). */
  | "partition"
  /** The server stopped and started (Redis loses its data: no persistence). */
  | "restart"
  /** The server frozen (SIGSTOP) for 2–3× the lease. */
  | "freeze";

export const FAULT_KINDS: readonly FaultKind[] = [
  "pause",
  "stall",
  "overrun",
  "kill",
  "reset",
  "partition",
  "restart",
  "freeze",
];

/** One injected fault, or a stall a worker observed in its own event loop. */
export interface FaultEvent {
  /** What happened; `observed-stall` was not injected: the machine did it (load, GC). */
  readonly kind: FaultKind | "observed-stall";
  /** The process it hit; undefined when it hit the server, i.e. every worker. */
  readonly proc: number | undefined;
  /** When it began. */
  readonly start: bigint;
  /** When it ended (equal to `start` for instant faults such as a kill). */
  readonly end: bigint;
}
