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
   */
  readonly validity?: number | undefined;
}

/** Tuning of the polling fallback used while waiting. */
export interface WaitTuning {
  /** First delay between attempts, in milliseconds. */
  minDelay: number;
  /** Longest delay between attempts, in milliseconds (delays double up to this, with jitter). */
  maxDelay: number;
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

  /** One attempt: returns the lease, or `undefined` when someone else holds the key. */
  tryAcquire(key: string, ttl: number): Promise<BackendLease | undefined>;

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
   * never missed. Notifications are hints; core still polls as a fallback.
   */
  onReleased?(key: string, listener: () => void): Promise<() => void>;

  /**
   * Optional: watches a held lease for loss detected out of band (its connection died).
   * Returns a function that stops watching.
   */
  watchLease?(lease: BackendLease, onLost: (reason: string, cause?: unknown) => void): () => void;

  /** Frees the backend's resources (connections it created). Called once by the provider. */
  close(): Promise<void>;
}
