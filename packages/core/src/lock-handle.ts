import { publish } from "./diagnostics.js";
import { LockBackendError, LockError, LockLostError } from "./errors.js";
import type { BackendLease, LockBackend } from "./lock-backend.js";
import { now } from "./monotonic.js";
import type { LockHandle } from "./types.js";
import { checkDuration } from "./validation.js";

/** What a handle needs from the provider that created it. */
export interface HandleOwner {
  readonly backend: LockBackend;
  /** Called once when the handle stops holding the key locally (released or lost). */
  handleDone(handle: Handle): void;
}

type State = "held" | "lost" | "released";

/**
 * A held lock. Owns the lease monitor: background renewal every ttl/3 (single-flight, never
 * throwing from a timer), the expiry deadline on the local monotonic clock, and the lost signal.
 */
export class Handle implements LockHandle {
  readonly key: string;
  readonly fencingToken: bigint | undefined;
  private readonly controller = new AbortController();
  private state: State = "held";
  private ttl: number;
  /** Monotonic time after which the lease may have expired on the backend. */
  private expiresAt: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private releasing: Promise<void> | undefined;
  private readonly stopWatching: (() => void) | undefined;
  private readonly acquiredAt = now();

  constructor(
    private readonly owner: HandleOwner,
    key: string,
    /** The key as the backend sees it (provider prefix applied). */
    readonly backendKey: string,
    readonly lease: BackendLease,
    ttl: number,
    private readonly autoExtend: boolean,
    /** Monotonic time the successful attempt was sent: the lease is counted from then. */
    sentAt: number,
  ) {
    this.key = key;
    this.ttl = ttl;
    this.fencingToken = lease.fencingToken;
    this.expiresAt = sentAt + (lease.validity ?? ttl);
    const backend = owner.backend;
    this.stopWatching = backend.watchLease?.(lease, (reason, cause) =>
      this.markLost(reason, cause),
    );
    if (backend.capabilities.leases) {
      this.armExpiry();
      if (autoExtend) this.scheduleRenewal(this.ttl / 3);
    } else {
      this.scheduleRenewal(backend.validateInterval ?? 1_000);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.state === "lost";
  }

  /** True while the handle believes it holds the lock. */
  get held(): boolean {
    return this.state === "held";
  }

  async extend(ttl?: number): Promise<void> {
    const lease = ttl === undefined ? this.ttl : checkDuration(ttl, "ttl");
    if (this.state !== "held") throw this.notHeldError();
    await this.inflight;
    if (this.state !== "held") throw this.notHeldError();
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
    const error = new LockLostError(this.key, this.owner.backend.name, reason, cause);
    publish.lost({ key: this.key, backend: this.owner.backend.name, error });
    this.owner.handleDone(this);
    this.controller.abort(error);
  }

  private async doRelease(): Promise<void> {
    const wasHeld = this.state === "held";
    if (wasHeld) this.state = "released";
    this.stopTimers();
    await this.inflight;
    const backend = this.owner.backend;
    try {
      await backend.release(this.lease);
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
        });
      }
    }
  }

  private notHeldError(): LockLostError {
    if (this.signal.aborted && this.signal.reason instanceof LockLostError)
      return this.signal.reason;
    return new LockLostError(this.key, this.owner.backend.name, "the handle was released");
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
    const backend = this.owner.backend;
    const sentAt = now();
    let held: boolean;
    try {
      held = await backend.extend(this.lease, ttl);
    } catch (error) {
      publish.extend({
        key: this.key,
        backend: backend.name,
        ttl,
        automatic,
        outcome: "error",
        error,
      });
      if (!backend.capabilities.leases) {
        // Connection-bound locks: a failed check means the connection, and so the lock, is gone.
        this.markLost("the lock's connection failed", error);
      } else if (automatic && this.state === "held") {
        const left = this.expiresAt - now();
        this.scheduleRenewal(Math.max(50, Math.min(this.ttl / 3, left / 2)));
      }
      if (automatic) return;
      throw error instanceof LockError
        ? error
        : new LockBackendError(`Extending lock "${this.key}" failed (${backend.name})`, {
            key: this.key,
            backend: backend.name,
            cause: error,
          });
    }
    if (this.state !== "held") {
      if (automatic) return;
      throw this.notHeldError();
    }
    if (!held) {
      publish.extend({ key: this.key, backend: backend.name, ttl, automatic, outcome: "lost" });
      this.markLost("the lock is no longer held by this handle");
      if (automatic) return;
      throw this.notHeldError();
    }
    publish.extend({ key: this.key, backend: backend.name, ttl, automatic, outcome: "extended" });
    if (backend.capabilities.leases) {
      this.ttl = ttl;
      this.expiresAt = sentAt + ttl;
      this.armExpiry();
      if (this.autoExtend) this.scheduleRenewal(ttl / 3);
    } else {
      this.scheduleRenewal(backend.validateInterval ?? 1_000);
    }
  }

  private scheduleRenewal(delay: number): void {
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => {
      this.renewTimer = undefined;
      if (this.state !== "held" || this.inflight) return;
      void this.renew(this.ttl, true);
    }, delay);
    this.renewTimer.unref();
  }

  private armExpiry(): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = undefined;
        if (this.state === "held" && now() >= this.expiresAt) {
          this.markLost("the lease expired before it was renewed");
        } else if (this.state === "held") {
          this.armExpiry();
        }
      },
      Math.max(0, this.expiresAt - now()),
    );
    this.expiryTimer.unref();
  }

  private stopTimers(): void {
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.renewTimer = undefined;
    this.expiryTimer = undefined;
    this.stopWatching?.();
  }
}
