import type { LockCapabilities } from "./types.js";

/**
 * What a backend grants on a successful attempt. Opaque to core except for these fields;
 * backends may subclass it to keep their own state (a dedicated connection, per-node results…).
 */
export interface BackendLease {
  /** The backend key (provider prefix already applied). */
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
 * validation and diagnostics on top of it (see `createLockProvider`). All keys passed here
 * already carry the provider's prefix.
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

  /** Renews the lease to `ttl` ms (or checks it is still held). Resolves `false` when not held. */
  extend(lease: BackendLease, ttl: number): Promise<boolean>;

  /** Releases the lease if still held by it. Resolves whether it was held. Must not touch another owner's lock. */
  release(lease: BackendLease): Promise<boolean>;

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
