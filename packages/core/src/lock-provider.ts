import { backendKey, checkPrefix } from "./backend-key.js";
import { LockTimeoutError } from "./errors.js";
import { DEFAULT_QUEUE_ENTRY_TTL } from "./fair-wait.js";
import type { LockBackend, WaitTuning } from "./lock-backend.js";
import { LockEngine, type LockSettings } from "./lock-engine.js";
import type {
  AcquireOptions,
  DistributedLock,
  LockCapabilities,
  LockHandle,
  LockOptions,
  LockProvider,
} from "./types.js";
import { assertValidKey, checkBoolean, checkDuration, checkTtl } from "./validation.js";

/** Default lease length, in milliseconds. */
export const DEFAULT_TTL = 30_000;

/** Options every provider accepts. */
export interface LockProviderOptions {
  /**
   * Namespace of this provider's keys, to share one backend between applications. Default `""`.
   * Providers with different prefixes never contend, whatever their keys (see `backendKey`).
   */
  prefix?: string;
  /** Default lease length in milliseconds for locks of this provider. Default 30_000. */
  ttl?: number;
  /** Default for {@link LockOptions.autoExtend}. Default true. */
  autoExtend?: boolean;
  /** Polling fallback while waiting; defaults come from the backend. */
  wait?: Partial<WaitTuning>;
}

const DEFAULT_WAIT: WaitTuning = {
  minDelay: 10,
  maxDelay: 500,
  queueEntryTtl: DEFAULT_QUEUE_ENTRY_TTL,
};

/**
 * A provider built from a {@link LockBackend}: all waiting, renewal, the lost signal, validation and
 * diagnostics live in core, so that a backend only implements its primitive.
 */
export class BackendLockProvider implements LockProvider {
  readonly capabilities: LockCapabilities;
  /** The backend this provider drives. */
  readonly backend: LockBackend;
  /** This provider's key namespace (see {@link LockProviderOptions.prefix}). */
  readonly prefix: string;
  private readonly defaultTtl: number;
  private readonly defaultAutoExtend: boolean;
  private readonly engine: LockEngine;

  constructor(backend: LockBackend, options: LockProviderOptions = {}) {
    this.backend = backend;
    this.capabilities = backend.capabilities;
    this.prefix = checkPrefix(options.prefix);
    this.defaultTtl = options.ttl === undefined ? DEFAULT_TTL : checkTtl(options.ttl);
    this.defaultAutoExtend = checkBoolean(options.autoExtend, "autoExtend") ?? true;
    const wait = { ...DEFAULT_WAIT, ...backend.waitTuning, ...options.wait };
    checkDuration(wait.minDelay, "wait.minDelay");
    checkDuration(wait.maxDelay, "wait.maxDelay");
    checkDuration(wait.queueEntryTtl, "wait.queueEntryTtl");
    if (wait.maxDelay < wait.minDelay)
      throw new RangeError("wait.maxDelay must be >= wait.minDelay");
    this.engine = new LockEngine(backend, wait);
  }

  getLock(key: string, options: LockOptions = {}): DistributedLock {
    assertValidKey(key);
    if (options === null || typeof options !== "object")
      throw new TypeError("options must be an object");
    const ttl = options.ttl === undefined ? this.defaultTtl : checkTtl(options.ttl);
    const autoExtend = checkBoolean(options.autoExtend, "autoExtend") ?? this.defaultAutoExtend;
    if (this.engine.closed) throw this.engine.closedError(key);
    return new ProviderLock(this.engine, {
      key,
      backendKey: this.backendKey(key),
      ttl,
      autoExtend,
    });
  }

  /** The key the backend stores for `key` on this provider: `backendKey(prefix, key)`. */
  backendKey(key: string): string {
    return backendKey(this.prefix, key);
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The lock object returned by `getLock`. */
class ProviderLock implements DistributedLock {
  readonly key: string;

  constructor(
    private readonly engine: LockEngine,
    private readonly settings: LockSettings,
  ) {
    this.key = settings.key;
  }

  async acquire(options?: AcquireOptions): Promise<LockHandle> {
    const { handle, lastError } = await this.engine.acquire(
      this.settings,
      options,
      Number.POSITIVE_INFINITY,
    );
    if (handle) return handle;
    const timeout = options?.timeout ?? Number.POSITIVE_INFINITY;
    throw new LockTimeoutError(this.key, this.engine.backend.name, timeout, lastError);
  }

  async tryAcquire(options?: AcquireOptions): Promise<LockHandle | undefined> {
    return (await this.engine.acquire(this.settings, options, 0)).handle;
  }
}

/**
 * Builds a complete {@link LockProvider} from a backend primitive. This is how `@locks/redis`,
 * `@locks/mysql` and `@locks/mongo` are made, and how you can write your own.
 */
export function createLockProvider(
  backend: LockBackend,
  options?: LockProviderOptions,
): BackendLockProvider {
  return new BackendLockProvider(backend, options);
}
