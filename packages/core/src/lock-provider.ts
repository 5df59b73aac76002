import { setMaxListeners } from "node:events";
import { Backoff } from "./backoff.js";
import { publish } from "./diagnostics.js";
import {
  LockBackendError,
  LockError,
  LockProviderClosedError,
  LockTimeoutError,
} from "./errors.js";
import { KeyQueue, type Ticket } from "./key-queue.js";
import type { BackendLease, LockBackend, WaitTuning } from "./lock-backend.js";
import { Handle, type HandleOwner } from "./lock-handle.js";
import { now } from "./monotonic.js";
import { settleFirst, TIMED_OUT } from "./race.js";
import type {
  AcquireOptions,
  DistributedLock,
  LockCapabilities,
  LockHandle,
  LockOptions,
  LockProvider,
} from "./types.js";
import { assertValidKey, checkBoolean, checkDuration, checkSignal } from "./validation.js";

/** Default lease length, in milliseconds. */
export const DEFAULT_TTL = 30_000;

/** Options every provider accepts. */
export interface LockProviderOptions {
  /** Prepended to every key, to namespace several applications on one backend. Default `""`. */
  prefix?: string;
  /** Default lease length in milliseconds for locks of this provider. Default 30_000. */
  ttl?: number;
  /** Default for {@link LockOptions.autoExtend}. Default true. */
  autoExtend?: boolean;
  /** Polling fallback while waiting; defaults come from the backend. */
  wait?: Partial<WaitTuning>;
}

const DEFAULT_WAIT: WaitTuning = { minDelay: 10, maxDelay: 500 };

/**
 * A provider built from a {@link LockBackend}: all waiting, renewal, the lost signal, validation and
 * diagnostics live here, so that a backend only implements its primitive.
 */
export class BackendLockProvider implements LockProvider, HandleOwner {
  readonly capabilities: LockCapabilities;
  /** The key prefix applied before keys reach the backend. */
  readonly prefix: string;
  private readonly defaultTtl: number;
  private readonly defaultAutoExtend: boolean;
  private readonly tuning: WaitTuning;
  private readonly queues = new Map<string, KeyQueue>();
  private readonly handles = new Set<Handle>();
  private readonly closeController = new AbortController();
  private closing: Promise<void> | undefined;

  constructor(
    readonly backend: LockBackend,
    options: LockProviderOptions = {},
  ) {
    this.capabilities = backend.capabilities;
    if (options.prefix !== undefined && typeof options.prefix !== "string") {
      throw new TypeError("prefix must be a string");
    }
    this.prefix = options.prefix ?? "";
    this.defaultTtl = options.ttl === undefined ? DEFAULT_TTL : checkDuration(options.ttl, "ttl");
    this.defaultAutoExtend = checkBoolean(options.autoExtend, "autoExtend") ?? true;
    const wait = { ...DEFAULT_WAIT, ...backend.waitTuning, ...options.wait };
    checkDuration(wait.minDelay, "wait.minDelay");
    checkDuration(wait.maxDelay, "wait.maxDelay");
    if (wait.maxDelay < wait.minDelay)
      throw new RangeError("wait.maxDelay must be >= wait.minDelay");
    this.tuning = wait;
    // Every pending acquire listens on the close signal: many concurrent waiters are normal use,
    // not a leak, so Node's default limit of 10 listeners must not warn about them.
    setMaxListeners(0, this.closeController.signal);
  }

  getLock(key: string, options: LockOptions = {}): DistributedLock {
    assertValidKey(key);
    if (options === null || typeof options !== "object")
      throw new TypeError("options must be an object");
    const ttl = options.ttl === undefined ? this.defaultTtl : checkDuration(options.ttl, "ttl");
    const autoExtend = checkBoolean(options.autoExtend, "autoExtend") ?? this.defaultAutoExtend;
    if (this.closeController.signal.aborted) throw this.closedError(key);
    return new ProviderLock(this, key, ttl, autoExtend);
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Called by a handle when it stops holding its key. */
  handleDone(handle: Handle): void {
    if (!this.handles.delete(handle)) return;
    const queue = this.queues.get(handle.backendKey);
    if (!queue) return;
    queue.held--;
    queue.wake();
    this.dropIfIdle(handle.backendKey, queue);
  }

  /** @internal */
  async acquire(
    key: string,
    ttl: number,
    autoExtend: boolean,
    options: AcquireOptions | undefined,
    defaultTimeout: number,
  ): Promise<LockHandle | undefined> {
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError("options must be an object");
    }
    const timeout =
      options?.timeout === undefined
        ? defaultTimeout
        : checkDuration(options.timeout, "timeout", { allowZero: true, allowInfinity: true });
    const signal = checkSignal(options?.signal);
    if (signal?.aborted) throw signal.reason;
    if (this.closeController.signal.aborted) throw this.closedError(key);

    const backendName = this.backend.name;
    const started = now();
    publish.acquireStart({ key, backend: backendName, timeout });
    const signals = signal ? [signal, this.closeController.signal] : [this.closeController.signal];
    try {
      const backendKey = this.prefix + key;
      const granted = await this.obtainLease(backendKey, ttl, timeout, started, signals);
      if (granted === undefined) {
        publish.acquireEnd({
          key,
          backend: backendName,
          outcome: defaultTimeout === 0 ? "unavailable" : "timeout",
          waitedMs: now() - started,
        });
        return undefined;
      }
      const handle = new Handle(
        this,
        key,
        backendKey,
        granted.lease,
        ttl,
        autoExtend,
        granted.sentAt,
      );
      this.handles.add(handle);
      this.queueFor(backendKey).held++;
      publish.acquireEnd({
        key,
        backend: backendName,
        outcome: "acquired",
        waitedMs: now() - started,
        fencingToken: handle.fencingToken,
      });
      return handle;
    } catch (error) {
      const aborted = signals.some((s) => s.aborted && s.reason === error);
      publish.acquireEnd({
        key,
        backend: backendName,
        outcome: aborted ? "aborted" : "error",
        waitedMs: now() - started,
        error,
      });
      if (aborted || error instanceof LockError) throw error;
      throw new LockBackendError(
        `Acquiring lock "${key}" failed (${backendName}): ${message(error)}`,
        {
          key,
          backend: backendName,
          cause: error,
        },
      );
    }
  }

  private async obtainLease(
    key: string,
    ttl: number,
    timeout: number,
    started: number,
    signals: AbortSignal[],
  ): Promise<{ lease: BackendLease; sentAt: number } | undefined> {
    const deadline = started + timeout;
    const left = () => deadline - now();
    const releaseLate = (lease: BackendLease | undefined) => {
      if (lease) void this.backend.release(lease).catch(() => {});
    };
    const attempt = async () => {
      const sentAt = now();
      const pending = this.backend.tryAcquire(key, ttl);
      let lease: BackendLease | undefined | typeof TIMED_OUT;
      try {
        // timeout 0 means one attempt that gets its answer; a deadline of 0 would give up on every
        // backend that answers over the network.
        lease = await settleFirst(
          pending,
          signals,
          timeout === 0 ? Number.POSITIVE_INFINITY : left(),
        );
      } catch (error) {
        if (signals.some((s) => s.aborted && s.reason === error)) await this.cutShort(pending);
        throw error;
      }
      if (lease === TIMED_OUT) {
        await this.cutShort(pending);
        return undefined;
      }
      return lease === undefined ? undefined : { lease, sentAt };
    };
    // timeout 0: exactly one attempt, without queueing behind local waiters.
    if (timeout === 0) return attempt();

    const queue = this.queueFor(key);
    const ticket = queue.enter();
    let unsubscribe: (() => void) | undefined;
    try {
      if ((await settleFirst(ticket.turn, signals, left())) === TIMED_OUT) return undefined;
      const blocking = this.backend.acquireBlocking;
      if (blocking) {
        const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
        const sentAt = now();
        // On abort, give the backend a moment to stop its server-side wait before rejecting: a
        // release right after the rejection must not be granted to the cancelled wait.
        const lease = await settleFirst(
          graceOnAbort(blocking.call(this.backend, key, ttl, left(), signal), signal, releaseLate),
          [],
          Number.POSITIVE_INFINITY,
          releaseLate,
        );
        return lease === TIMED_OUT || lease === undefined ? undefined : { lease, sentAt };
      }
      const backoff = new Backoff(this.tuning);
      for (;;) {
        ticket.takeWake();
        // While this provider itself holds the key, wait for the local release rather than ask.
        if (queue.held === 0) {
          const granted = await attempt();
          if (granted) return granted;
        }
        if (left() <= 0) return undefined;
        if (unsubscribe === undefined && this.backend.onReleased && queue.held === 0) {
          const subscribed = await settleFirst(
            this.backend.onReleased(key, () => ticket.wake()),
            signals,
            left(),
            (stop) => stop(),
          );
          if (subscribed === TIMED_OUT) return undefined;
          unsubscribe = subscribed;
          continue; // a release between the failed attempt and the subscription must not be missed
        }
        if (await this.sleep(ticket, Math.min(backoff.next(), left()), signals)) backoff.reset();
      }
    } finally {
      ticket.leave();
      unsubscribe?.();
      this.dropIfIdle(key, queue);
    }
  }

  /**
   * An attempt cut short by the deadline or an abort may still be granted by the backend. Waits
   * (up to {@link CUT_SHORT_GRACE} ms) for its answer and for the release of a late grant, so that
   * a timed-out or cancelled wait has left nothing behind by the time it reports, and a release
   * right after cannot be taken by the abandoned attempt. Past the grace, a late grant is still
   * released when it arrives.
   */
  private async cutShort(pending: Promise<BackendLease | undefined>): Promise<void> {
    const late = await withinGrace(pending.catch(() => undefined));
    if (late === TIMED_OUT) {
      pending.then(
        (lease) => {
          if (lease) void this.backend.release(lease).catch(() => {});
        },
        () => {},
      );
      return;
    }
    if (late) await withinGrace(this.backend.release(late).catch(() => false));
  }

  /** Sleeps up to `ms`, ending early on a wake-up (returns true) or an abort (rejects). */
  private sleep(ticket: Ticket, ms: number, signals: AbortSignal[]): Promise<boolean> {
    if (ticket.takeWake()) return Promise.resolve(true);
    let wake!: () => void;
    const woken = new Promise<true>((resolve) => {
      wake = () => resolve(true);
    });
    ticket.listen(wake);
    return settleFirst(woken, signals, ms).then(
      (result) => {
        ticket.listen(undefined);
        return result === true ? ticket.takeWake() || true : false;
      },
      (error: unknown) => {
        ticket.listen(undefined);
        throw error;
      },
    );
  }

  private queueFor(key: string): KeyQueue {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new KeyQueue();
      this.queues.set(key, queue);
    }
    return queue;
  }

  private dropIfIdle(key: string, queue: KeyQueue): void {
    if (queue.idle && this.queues.get(key) === queue) this.queues.delete(key);
  }

  private closedError(key?: string): LockProviderClosedError {
    return new LockProviderClosedError(this.backend.name, key);
  }

  private async doClose(): Promise<void> {
    this.closeController.abort(this.closedError());
    const held = [...this.handles];
    for (const handle of held) handle.markLost("the provider was closed");
    await Promise.allSettled(held.map((handle) => handle.release()));
    await this.backend.close();
  }
}

/** @internal The lock object returned by `getLock`. */
class ProviderLock implements DistributedLock {
  constructor(
    private readonly provider: BackendLockProvider,
    readonly key: string,
    private readonly ttl: number,
    private readonly autoExtend: boolean,
  ) {}

  async acquire(options?: AcquireOptions): Promise<LockHandle> {
    const handle = await this.provider.acquire(
      this.key,
      this.ttl,
      this.autoExtend,
      options,
      Number.POSITIVE_INFINITY,
    );
    if (handle) return handle;
    const timeout = options?.timeout ?? Number.POSITIVE_INFINITY;
    throw new LockTimeoutError(this.key, this.provider.backend.name, timeout);
  }

  tryAcquire(options?: AcquireOptions): Promise<LockHandle | undefined> {
    return this.provider.acquire(this.key, this.ttl, this.autoExtend, options, 0);
  }
}

/** Longest wait (ms) for an attempt cut short by a deadline or an abort, and for its clean-up. */
const CUT_SHORT_GRACE = 250;

/** Resolves like `promise`, or {@link TIMED_OUT} after {@link CUT_SHORT_GRACE} ms. */
function withinGrace<T>(promise: Promise<T>): Promise<T | typeof TIMED_OUT> {
  return settleFirst(promise, [], CUT_SHORT_GRACE);
}

/** Longest wait (ms) for a native blocking wait to stop after its signal aborted. */
const BLOCKING_ABORT_GRACE = 250;

/**
 * Settles like `promise`, except that once `signal` aborts it rejects with `signal.reason` as soon
 * as `promise` settles or {@link BLOCKING_ABORT_GRACE} ms have passed, whichever comes first. A
 * value that still arrives after the abort is handed to `onLate` (a lock granted too late).
 */
function graceOnAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onLate: (value: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = () => {
      if (timer !== undefined) clearTimeout(timer);
      reject(signal.reason);
    };
    const onAbort = () => {
      timer = setTimeout(giveUp, BLOCKING_ABORT_GRACE);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (!signal.aborted) return resolve(value);
        giveUp();
        onLate(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) giveUp();
        else reject(error);
      },
    );
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
