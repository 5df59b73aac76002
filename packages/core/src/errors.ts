/** Base class of every error thrown by `@locks` packages. */
export class LockError extends Error {
  /** The lock key concerned, when there is one. */
  readonly key: string | undefined;
  /** The backend that raised it, e.g. `"redis"`, `"mysql"`, `"memory"`. */
  readonly backend: string | undefined;

  constructor(message: string, options?: { key?: string; backend?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.key = options?.key;
    this.backend = options?.backend;
  }
}

/** `acquire` waited its whole `timeout` without getting the lock. */
export class LockTimeoutError extends LockError {
  /** The timeout that ran out, in milliseconds. */
  readonly timeout: number;
  constructor(key: string, backend: string, timeout: number, cause?: unknown) {
    super(`Timed out after ${timeout} ms waiting for lock "${key}" (${backend})`, {
      key,
      backend,
      cause,
    });
    this.timeout = timeout;
  }
}

/** The lock is no longer held: the lease ran out, the key was removed, or the connection died. */
export class LockLostError extends LockError {
  constructor(key: string, backend: string, reason: string, cause?: unknown) {
    super(`Lock "${key}" (${backend}) was lost: ${reason}`, { key, backend, cause });
  }
}

/** The key is empty, not a string, not well-formed Unicode, or longer than 1 KiB of UTF-8. */
export class InvalidLockKeyError extends LockError {
  constructor(message: string, key?: string) {
    super(message, key === undefined ? undefined : { key });
  }
}

/** The backend failed (connection refused, command error…). The driver's error is `cause`. */
export class LockBackendError extends LockError {
  constructor(message: string, options: { key?: string; backend: string; cause?: unknown }) {
    super(message, options);
  }
}

/** The provider was closed: no new acquisitions, pending waits are rejected with this. */
export class LockProviderClosedError extends LockError {
  constructor(backend: string, key?: string) {
    super(
      `The ${backend} lock provider is closed`,
      key === undefined ? { backend } : { key, backend },
    );
  }
}
