import { obtainLease, type WaitContext } from "./acquisition.js";
import { publish } from "./diagnostics.js";
import { LockBackendError, LockError, LockProviderClosedError } from "./errors.js";
import { KeyQueue } from "./key-queue.js";
import type { LockBackend, WaitTuning } from "./lock-backend.js";
import { Handle, type HandleOwner } from "./lock-handle.js";
import { now } from "./monotonic.js";
import { RecentContention } from "./recent-contention.js";
import { linkSignal } from "./signal-link.js";
import type { AcquireOptions } from "./types.js";
import { checkSignal, checkTimeout } from "./validation.js";

/** The settings of one lock, fixed by `getLock`. */
export interface LockSettings {
  /** The key as given to `getLock`. */
  readonly key: string;
  /** The backend key (see `backendKey`). */
  readonly backendKey: string;
  readonly ttl: number;
  readonly autoExtend: boolean;
}

/** What an acquisition ended with: a handle, or the timeout (with the last transient error). */
export interface AcquireResult {
  readonly handle?: Handle | undefined;
  readonly lastError?: unknown;
}

/**
 * The internals of one provider: its local queues, its live handles and acquisitions, and the
 * acquisition entry point that `ProviderLock` calls. Kept out of the provider's public type.
 */
export class LockEngine implements WaitContext, HandleOwner {
  private readonly queues = new Map<string, KeyQueue>();
  readonly contention = new RecentContention();
  private readonly handles = new Set<Handle>();
  /** The internal signal of every acquisition in progress; aborted by {@link close}. */
  private readonly acquiring = new Set<AbortController>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly backend: LockBackend,
    readonly tuning: WaitTuning,
  ) {}

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Acquires `lock`; `defaultTimeout` is 0 for `tryAcquire`, Infinity for `acquire`. */
  async acquire(
    lock: LockSettings,
    options: AcquireOptions | undefined,
    defaultTimeout: number,
  ): Promise<AcquireResult> {
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError("options must be an object");
    }
    const timeout = options?.timeout === undefined ? defaultTimeout : checkTimeout(options.timeout);
    const callerSignal = checkSignal(options?.signal);
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (this.closed) throw this.closedError(lock.key);

    const { key, backendKey, ttl } = lock;
    const backend = this.backend.name;
    const started = now();
    publish.acquireStart({ key, backend, timeout });
    // One internal signal per acquisition, aborted by the caller's signal (one shared listener
    // per caller signal, see signal-link.ts) or by close(), which aborts every entry of
    // `acquiring`: nothing stays registered on long-lived signals once the acquisition ends.
    const controller = new AbortController();
    const unlink = callerSignal ? linkSignal(callerSignal, controller) : undefined;
    this.acquiring.add(controller);
    const signal = controller.signal;
    try {
      const { grant, lastError } = await obtainLease(this, {
        key: backendKey,
        ttl,
        timeout,
        started,
        signal,
      });
      if (grant === undefined) {
        publish.acquireEnd({
          key,
          backend,
          outcome: defaultTimeout === 0 ? "unavailable" : "timeout",
          waitedMs: now() - started,
          error: lastError,
        });
        return { lastError };
      }
      const handle = new Handle(this, lock, grant);
      this.handles.add(handle);
      this.queueFor(backendKey).held++;
      handle.watch();
      publish.acquireEnd({
        key,
        backend,
        outcome: "acquired",
        waitedMs: now() - started,
        fencingToken: handle.fencingToken,
      });
      return { handle };
    } catch (error) {
      const aborted = signal.aborted && signal.reason === error;
      publish.acquireEnd({
        key,
        backend,
        outcome: aborted ? "aborted" : "error",
        waitedMs: now() - started,
        error,
      });
      if (aborted || error instanceof LockError) throw error;
      throw new LockBackendError(`Acquiring lock "${key}" failed (${backend}): ${message(error)}`, {
        key,
        backend,
        cause: error,
      });
    } finally {
      unlink?.();
      this.acquiring.delete(controller);
    }
  }

  /** Called by a handle when it stops holding its key (released or lost). */
  handleDone(handle: Handle): void {
    if (!this.handles.delete(handle)) return;
    const queue = this.queues.get(handle.backendKey);
    if (!queue) return;
    queue.held--;
    queue.wake();
    this.dropIfIdle(handle.backendKey, queue);
  }

  queueFor(key: string): KeyQueue {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new KeyQueue();
      this.queues.set(key, queue);
    }
    return queue;
  }

  dropIfIdle(key: string, queue: KeyQueue): void {
    if (queue.idle && this.queues.get(key) === queue) this.queues.delete(key);
  }

  closedError(key?: string): LockProviderClosedError {
    return new LockProviderClosedError(this.backend.name, key);
  }

  /** Rejects pending waits, marks held handles lost, releases them, closes the backend. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const error = this.closedError();
    for (const controller of this.acquiring) controller.abort(error);
    const held = [...this.handles];
    for (const handle of held) handle.markLost("the provider was closed");
    await Promise.allSettled(held.map((handle) => handle.release()));
    await this.backend.close();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
