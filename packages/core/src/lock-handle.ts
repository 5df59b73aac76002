import type { Grant } from "./attempt.js";
import { publish } from "./diagnostics.js";
import { LockBackendError, LockError, LockLostError } from "./errors.js";
import type { BackendLease, ExtendResult, LockBackend } from "./lock-backend.js";
import type { LockSettings } from "./lock-engine.js";
import { now } from "./monotonic.js";
import { startTimer, type Timer } from "./timers.js";
import type { LockHandle } from "./types.js";
import { checkTtl } from "./validation.js";

/** What a handle needs from the provider that created it. */
export interface HandleOwner {
  readonly backend: LockBackend;
  /** Called once when the handle stops holding the key locally (released or lost). */
  handleDone(handle: Handle): void;
}

type State = "held" | "lost" | "released";

/** Shortest delay (ms) before retrying a renewal whose outcome was unknown. */
const MIN_RETRY_DELAY = 50;

/**
 * A held lock. Owns the lease monitor: background renewal every ttl/3 (single-flight, never
 * throwing from a timer), the lease's deadline on the local monotonic clock, and the lost signal.
 *
 * The deadline is checked whenever `lost`, `signal` or `held` is read, not only when the expiry
 * timer fires: after a stall longer than the lease (GC pause, CPU-bound code, SIGSTOP), the
 * handle reports the loss at once instead of at the next timers phase.
 */
export class Handle implements LockHandle {
  readonly key: string;
  readonly backendKey: string;
  readonly fencingToken: bigint | undefined;
  readonly lease: BackendLease;
  private readonly owner: HandleOwner;
  private readonly backend: LockBackend;
  /**
   * The lost signal's controller, made on the first read of {@link signal}: most handles are
   * released without anyone reading it, and an AbortController is one of the costlier objects
   * of an acquisition. A signal first read after the loss is made already aborted.
   */
  private controller: AbortController | undefined;
  /** Why the handle was lost, once it was. */
  private lostError: LockLostError | undefined;
  private readonly autoExtend: boolean;
  private readonly acquiredAt = now();
  private stopWatching: (() => void) | undefined;
  private state: State = "held";
  private ttl: number;
  /** Monotonic time after which the lease may have expired on the backend (Infinity without leases). */
  private expiresAt: number;
  private renewTimer: Timer | undefined;
  private expiryTimer: Timer | undefined;
  private inflight: Promise<void> | undefined;
  private releasing: Promise<void> | undefined;

  constructor(owner: HandleOwner, lock: LockSettings, grant: Grant) {
    this.owner = owner;
    this.backend = owner.backend;
    this.key = lock.key;
    this.backendKey = lock.backendKey;
    this.ttl = lock.ttl;
    this.autoExtend = lock.autoExtend;
    this.lease = grant.lease;
    this.fencingToken = grant.lease.fencingToken;
    const leases = this.backend.capabilities.leases;
    const validity = grant.lease.validity ?? lock.ttl;
    this.expiresAt = leases ? grant.sentAt + validity : Number.POSITIVE_INFINITY;
    if (leases) {
      this.armExpiry();
      // A lease granted for less than the ttl (a fair backend's hand-over lease) is renewed
      // once a third of it has passed, or, without automatic renewal, to the ttl once, at once.
      if (this.autoExtend) this.scheduleRenewal(Math.min(this.ttl, validity) / 3);
      else if (validity < lock.ttl / 2) this.scheduleRenewal(0);
    } else {
      this.scheduleRenewal(this.validateInterval());
    }
  }

  /**
   * Starts the backend's watch on the lease (`watchLease`). Called by the owner once it counts the
   * handle as held: a watch may report the loss at once (the connection died between the grant
   * and now), and that loss must find the handle registered, or the owner would count the key as
   * held by this provider forever.
   */
  watch(): void {
    if (this.state !== "held" || this.stopWatching) return;
    this.stopWatching = this.backend.watchLease?.(this.lease, (reason, cause) =>
      this.markLost(reason, cause),
    );
    // Lost during the call: markLost ran before there was a watch to stop.
    if (this.state !== "held") this.stopWatching?.();
  }

  get signal(): AbortSignal {
    this.checkDeadline();
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.lostError) this.controller.abort(this.lostError);
    }
    return this.controller.signal;
  }

  get lost(): boolean {
    this.checkDeadline();
    return this.state === "lost";
  }

  /** True while the handle believes it holds the lock (and its lease's deadline has not passed). */
  get held(): boolean {
    this.checkDeadline();
    return this.state === "held";
  }

  async extend(ttl?: number): Promise<void> {
    const lease = ttl === undefined ? this.ttl : checkTtl(ttl);
    if (!this.held) throw this.notHeldError();
    await this.inflight;
    if (!this.held) throw this.notHeldError();
    await this.renew(lease, false);
  }

  release(): Promise<void> {
    if (this.releasing) return this.releasing;
    const first = this.doRelease();
    this.releasing = first.catch(() => {});
    return first;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** Marks the handle lost (idempotent) and aborts its signal. */
  markLost(reason: string, cause?: unknown): void {
    if (this.state !== "held") return;
    this.state = "lost";
    this.stopTimers();
    const error = new LockLostError(this.key, this.backend.name, reason, cause);
    publish.lost({ key: this.key, backend: this.backend.name, error });
    this.lostError = error;
    this.owner.handleDone(this);
    this.controller?.abort(error);
  }

  /** Marks the handle lost if its lease's known deadline has passed. */
  private checkDeadline(): void {
    if (this.state === "held" && now() >= this.expiresAt) {
      this.markLost("the lease expired before it was renewed");
    }
  }

  private async doRelease(): Promise<void> {
    const wasHeld = this.held;
    if (wasHeld) this.state = "released";
    this.stopTimers();
    await this.inflight;
    const backend = this.backend;
    let stillHeld: boolean | undefined;
    try {
      stillHeld = await backend.release(this.lease);
    } catch (error) {
      // A lost lock is gone already; only a release of a held lock reports a failure.
      if (wasHeld) {
        throw error instanceof LockError
          ? error
          : new LockBackendError(`Releasing lock "${this.key}" failed (${backend.name})`, {
              key: this.key,
              backend: backend.name,
              cause: error,
            });
      }
    } finally {
      if (wasHeld) {
        this.owner.handleDone(this);
        publish.release({
          key: this.key,
          backend: backend.name,
          heldMs: now() - this.acquiredAt,
          stillHeld,
        });
      }
    }
  }

  private notHeldError(): LockLostError {
    return (
      this.lostError ?? new LockLostError(this.key, this.backend.name, "the handle was released")
    );
  }

  /** Single-flight renewal; `automatic` renewals never throw. */
  private renew(ttl: number, automatic: boolean): Promise<void> {
    const run = this.doRenew(ttl, automatic);
    const tracked = run.catch(() => {});
    this.inflight = tracked;
    void tracked.then(() => {
      if (this.inflight === tracked) this.inflight = undefined;
    });
    return run;
  }

  private async doRenew(ttl: number, automatic: boolean): Promise<void> {
    const backend = this.backend;
    const sentAt = now();
    let result: ExtendResult;
    let error: unknown;
    try {
      result = await backend.extend(this.lease, ttl);
    } catch (thrown) {
      result = "unknown";
      error = thrown;
    }
    publish.extend({
      key: this.key,
      backend: backend.name,
      ttl,
      automatic,
      outcome: extendOutcome(result, error),
      ...(error === undefined ? {} : { error }),
    });
    // An answer that arrives after the lease's deadline cannot revive the handle.
    if (!this.held) {
      if (automatic) return;
      throw this.notHeldError();
    }
    switch (result) {
      case "renewed":
        if (backend.capabilities.leases) {
          this.ttl = ttl;
          this.expiresAt = sentAt + ttl;
          this.armExpiry();
          if (this.autoExtend) this.scheduleRenewal(ttl / 3);
        } else {
          this.scheduleRenewal(this.validateInterval());
        }
        return;
      case "lost":
        this.markLost("the lock is no longer held by this handle", error);
        if (automatic) return;
        throw this.notHeldError();
      case "unknown":
        if (automatic) {
          // Retry until the deadline passes; the expiry timer (or the next read) then marks the
          // handle lost. Without leases there is no deadline: check again at the usual interval.
          this.scheduleRenewal(
            backend.capabilities.leases
              ? Math.max(MIN_RETRY_DELAY, Math.min(this.ttl / 3, (this.expiresAt - now()) / 2))
              : this.validateInterval(),
          );
          return;
        }
        throw error instanceof LockError
          ? error
          : new LockBackendError(
              `Extending lock "${this.key}" failed (${backend.name}): ${
                error === undefined
                  ? "the backend could not tell whether it is held"
                  : message(error)
              }`,
              { key: this.key, backend: backend.name, cause: error },
            );
    }
  }

  private validateInterval(): number {
    return this.backend.validateInterval ?? 1_000;
  }

  private scheduleRenewal(delay: number): void {
    this.renewTimer?.cancel();
    this.renewTimer = startTimer(
      delay,
      () => {
        this.renewTimer = undefined;
        if (!this.held || this.inflight) return;
        void this.renew(this.ttl, true);
      },
      true,
    );
  }

  private armExpiry(): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = startTimer(
      this.expiresAt - now(),
      () => {
        this.expiryTimer = undefined;
        if (this.held) this.armExpiry();
      },
      true,
    );
  }

  private stopTimers(): void {
    this.renewTimer?.cancel();
    this.expiryTimer?.cancel();
    this.renewTimer = undefined;
    this.expiryTimer = undefined;
    this.stopWatching?.();
  }
}

function extendOutcome(
  result: ExtendResult,
  error: unknown,
): "extended" | "lost" | "unknown" | "error" {
  if (result === "renewed") return "extended";
  if (result === "lost") return "lost";
  return error === undefined ? "unknown" : "error";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
