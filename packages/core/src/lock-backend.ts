import type { LockCapabilities } from "./types.js";

/**
 * What a renewal found out. Core acts on it the same way for every backend:
 * - `"renewed"`: the lease is valid for the requested ttl from when the call was sent (for a
 *   backend without leases: the lock was checked and is still held);
 * - `"lost"`: the lock is definitely not held any more: core marks the handle lost at once;
 * - `"unknown"`: the backend could not tell (transient error, no quorum): core retries until the
 *   lease's known deadline passes, then marks the handle lost.
 *
 * An `extend` that throws counts as `"unknown"`.
 */
export type ExtendResult = "renewed" | "lost" | "unknown";

/**
 * What a backend grants on a successful attempt. Opaque to core except for these fields;
 * backends may subclass it to keep their own state (a dedicated connection, per-node results…).
 */
export interface BackendLease {
  /** The backend key: `backendKey` of the provider's prefix and the lock's key. */
  readonly key: string;
  /** Random owner token that proves ownership to the backend. */
  readonly token: string;
  /** Fencing token of this grant, when the backend supports fencing. */
  readonly fencingToken?: bigint | undefined;
  /**
   * Milliseconds the lease is known valid, counted from the moment the attempt was sent
   * (e.g. Redlock's ttl − elapsed − drift). Defaults to the requested ttl.
   *
   * It may be shorter than the ttl: a fair backend that hands a released key straight to the
   * head of its queue grants a short hand-over lease, so that a waiter that died meanwhile
   * blocks the key only briefly. Core then renews the lease once a third of `validity` has
   * passed (instead of a third of the ttl), and, on a lock without automatic renewal, once, at
   * once, if `validity` is under half the ttl.
   */
  readonly validity?: number | undefined;
}

/** Tuning of the polling fallback used while waiting. */
export interface WaitTuning {
  /** First delay between attempts, in milliseconds. */
  minDelay: number;
  /** Longest delay between attempts, in milliseconds (delays double up to this, with jitter). */
  maxDelay: number;
  /**
   * Fair backends: how long (ms) a waiter's entry in the server-side queue lives unless renewed.
   * A waiting node renews it on every attempt, at least every third of it; a node that dies while
   * queued stops blocking the others after at most this long (plus one polling interval).
   */
  queueEntryTtl: number;
}

/**
 * A waiting node's entry in a fair backend's queue (see `LockCapabilities.fairness`). Core makes
 * one per wait, on the provider's local queue head, and passes it with every attempt.
 */
export interface WaiterEntry {
  /** Random id of this wait, unique across nodes. */
  readonly id: string;
  /** Milliseconds the entry lives on the server unless refreshed by the next attempt. */
  readonly ttl: number;
}

/**
 * The primitive a backend implements; `@locks/core` builds waiting, renewal, the lost signal,
 * validation and diagnostics on top of it (see `createLockProvider`). Keys passed here are
 * backend keys: `backendKey` of the provider's prefix and the lock's key.
 *
 * Methods may throw any error; core wraps driver errors in `LockBackendError` unless they are
 * already a `LockError`.
 */
export interface LockBackend {
  /** Short name used in error messages and diagnostics, e.g. `"redis"`. */
  readonly name: string;
  /** What the backend guarantees. */
  readonly capabilities: LockCapabilities;
  /** Default polling tuning while waiting (used between notifications, or alone without them). */
  readonly waitTuning?: Partial<WaitTuning>;
  /**
   * How often (ms) to validate a lease on a backend without leases (`capabilities.leases` false),
   * where `extend` is a liveness check rather than a renewal.
   */
  readonly validateInterval?: number;

  /**
   * One attempt: returns the lease, or `undefined` when someone else holds the key.
   *
   * Fair backends (`capabilities.fairness`): with `waiter`, grants only if the key is free and no
   * live queue entry older than this waiter's exists, otherwise adds (or refreshes to
   * `waiter.ttl`) the waiter's entry; a grant removes the waiter's own entry. Without `waiter`
   * (`tryAcquire()`), grants only if the key is free and nobody is queued, and never queues.
   */
  tryAcquire(key: string, ttl: number, waiter?: WaiterEntry): Promise<BackendLease | undefined>;

  /** Fair backends: removes `waiterId`'s queue entry at once (its wait ended without a grant). */
  leaveQueue?(key: string, waiterId: string): Promise<void>;

  /**
   * Fair backends with `onReleased`, optional: true while the backend itself follows the queue of
   * `key` for `waiterId` (it reads the key at intervals set by the waiter's place and wakes it
   * through `onReleased` when its attempt may be granted). Core then attempts only when woken, or
   * when the waiter's entry is due for a refresh (a third of its ttl), instead of on its backoff:
   * those attempts could not be granted and would only load the server.
   */
  followsQueue?(key: string, waiterId: string): boolean;

  /**
   * Optional native blocking wait (e.g. MySQL `GET_LOCK(name, timeout)`): resolves the lease, or
   * `undefined` after `timeout` ms (which may be `Infinity`). When `signal` aborts it must stop
   * the server-side wait promptly, leave no lock behind, and reject with `signal.reason`.
   */
  acquireBlocking?(
    key: string,
    ttl: number,
    timeout: number,
    signal: AbortSignal,
  ): Promise<BackendLease | undefined>;

  /**
   * Renews the lease to `ttl` ms (or, without leases, checks it is still held) and says what it
   * found (see {@link ExtendResult}). Throwing means `"unknown"`.
   */
  extend(lease: BackendLease, ttl: number): Promise<ExtendResult>;

  /**
   * Releases the lease if still held by it. Resolves whether it was still held (published as
   * `stillHeld` in the `locks:release` diagnostics event). Must not touch another owner's lock.
   */
  release(lease: BackendLease): Promise<boolean>;

  /**
   * Optional: whether an error thrown by `tryAcquire`, `acquireBlocking` or `onReleased` is
   * transient (a dropped connection, a failover), so that a wait with time left backs off and
   * tries again instead of failing. Default: `isTransientNetworkError` (Node socket error
   * codes such as `ECONNRESET` anywhere in the `cause` chain). Errors that retrying cannot fix
   * (authentication, configuration, a closed provider) must answer false.
   */
  isRetryable?(error: unknown): boolean;

  /**
   * Optional: calls `listener` when `key` is probably free (released, expired). Resolves, with an
   * unsubscribe function, once the subscription is active, so that a release after it resolves is
   * never missed. Notifications are hints; core still polls as a fallback. A fair backend passes
   * `next`, the id of the waiter at the head of its queue, so that only that node attempts.
   */
  onReleased?(key: string, listener: (next?: string) => void): Promise<() => void>;

  /**
   * Optional: watches a held lease for loss detected out of band (its connection died).
   * Returns a function that stops watching.
   */
  watchLease?(lease: BackendLease, onLost: (reason: string, cause?: unknown) => void): () => void;

  /** Frees the backend's resources (connections it created). Called once by the provider. */
  close(): Promise<void>;
}
