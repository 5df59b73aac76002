import { LockBackendError } from "@locks/core";

/**
 * Redlock could not reach a quorum (⌊N/2⌋+1) of its N servers: too many were down, paused or
 * erroring to decide anything. `acquire` rejects with it at once instead of waiting, since
 * waiting for the lock cannot succeed while the servers are unreachable.
 */
export class RedisQuorumError extends LockBackendError {
  /** Servers that answered. */
  readonly reachable: number;
  /** Servers in the Redlock set. */
  readonly nodes: number;
  /** Servers that must answer (and agree) for an operation to succeed. */
  readonly quorum: number;

  constructor(
    key: string,
    operation: string,
    counts: { reachable: number; nodes: number; quorum: number },
    cause?: unknown,
  ) {
    super(
      `Redlock ${operation} of lock "${key}" failed: only ${counts.reachable} of ${counts.nodes} Redis servers answered, ${counts.quorum} needed`,
      { key, backend: "redis", cause },
    );
    this.reachable = counts.reachable;
    this.nodes = counts.nodes;
    this.quorum = counts.quorum;
  }
}
