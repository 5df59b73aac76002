/**
 * The public contract of `@locks`. Every provider (memory, Redis, MySQL, MongoDB, or your own)
 * implements these interfaces; the conformance suite checks that they behave the same.
 */

/** What a provider's backend can guarantee. Scenarios and features depend on these switches. */
export interface LockCapabilities {
  /** Handles carry {@link LockHandle.fencingToken}: strictly increasing per key across every grant. */
  readonly fencing: boolean;
  /** Locks are leases: an abandoned lock expires after its `ttl` (milliseconds). */
  readonly leases: boolean;
  /** Locks are shared by processes and machines that use the same backend (false for in-memory). */
  readonly distributed: boolean;
  /** Waiters are woken by a backend notification (pub/sub, native blocking wait, change stream). */
  readonly notifications: boolean;
  /**
   * Waiters on different providers (nodes) are served in the order they reached the backend: a
   * queue of waiting nodes is kept on the server, each entry a short lease renewed while its
   * node waits (see `wait.queueEntryTtl`), so a node that dies in the queue stops blocking the
   * others within that time. `tryAcquire()` never takes a key while others are queued for it.
   */
  readonly fairness: boolean;
}

/** Options of one lock, fixed when the lock is created by {@link LockProvider.getLock}. */
export interface LockOptions {
  /** Lease length in milliseconds; an abandoned lock expires after this. Default 30_000. */
  ttl?: number;
  /** Renew the lease in the background (about every ttl/3) until release. Default true. */
  autoExtend?: boolean;
}

/** Options of one acquisition. */
export interface AcquireOptions {
  /**
   * Longest time to wait for the lock, in milliseconds. `0` makes exactly one attempt;
   * `Infinity` waits until the lock is granted or `signal` aborts.
   * Default: `Infinity` for {@link DistributedLock.acquire}, `0` for {@link DistributedLock.tryAcquire}.
   */
  timeout?: number;
  /** Aborting ends the wait promptly and rejects with `signal.reason`; never affects a granted lock. */
  signal?: AbortSignal;
}

/** A named lock. Cheap to create; it performs I/O only when acquired. Not reentrant. */
export interface DistributedLock {
  /** The key as given to {@link LockProvider.getLock} (without the provider prefix). */
  readonly key: string;
  /**
   * Waits until the lock is granted. Rejects with `LockTimeoutError` after `timeout` ms
   * (default: wait forever) or with `signal.reason` when `signal` aborts.
   */
  acquire(options?: AcquireOptions): Promise<LockHandle>;
  /**
   * Like {@link acquire} but resolves `undefined` instead of rejecting on timeout.
   * Default `timeout` is 0: a single attempt.
   */
  tryAcquire(options?: AcquireOptions): Promise<LockHandle | undefined>;
}

/** Proof of holding a lock. Dispose it (or call {@link release}) to give the lock back. */
export interface LockHandle extends AsyncDisposable {
  /** The key of the lock held. */
  readonly key: string;
  /**
   * Strictly increasing per key across every grant (also after release, expiry and takeover),
   * when the provider's `capabilities.fencing` is true; otherwise `undefined`. Pass it to the
   * resource you protect so that it can reject writes carrying an older token.
   */
  readonly fencingToken: bigint | undefined;
  /** Aborts, with a `LockLostError` as reason, when the lock is lost (lease ran out, key deleted, connection died). */
  readonly signal: AbortSignal;
  /** True once the lock is known to be lost. */
  readonly lost: boolean;
  /**
   * Renews the lease to `ttl` milliseconds from now (default: the lock's ttl).
   * Rejects with `LockLostError` if the lock is no longer held.
   */
  extend(ttl?: number): Promise<void>;
  /** Gives the lock back. Idempotent; never throws because the lease already ran out. */
  release(): Promise<void>;
}

/** Hands out locks by key. One provider instance is one "node" of the deployment. */
export interface LockProvider extends AsyncDisposable {
  /** Returns the lock for `key`. Performs no I/O; throws `InvalidLockKeyError` for a bad key. */
  getLock(key: string, options?: LockOptions): DistributedLock;
  /** Releases held locks, rejects pending waits, and closes connections the provider created. Idempotent. */
  close(): Promise<void>;
  /** What this provider's backend guarantees. */
  readonly capabilities: LockCapabilities;
}
