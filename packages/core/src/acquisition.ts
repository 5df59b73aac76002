import { attemptOnce, type Grant, graceOnAbort, releaseLate, usableGrant } from "./attempt.js";
import { Backoff } from "./backoff.js";
import { LockProviderClosedError } from "./errors.js";
import { type FairWait, fairWait } from "./fair-wait.js";
import type { KeyQueue, Ticket } from "./key-queue.js";
import type { LockBackend, WaitTuning } from "./lock-backend.js";
import { now } from "./monotonic.js";
import { settleFirst, TIMED_OUT } from "./race.js";
import type { RecentContention } from "./recent-contention.js";
import { isTransientNetworkError } from "./retryable.js";
import { MAX_TIMER_DELAY } from "./timers.js";

/** One acquisition as core runs it. */
export interface WaitRequest {
  /** The backend key. */
  readonly key: string;
  /** Lease length asked for, in milliseconds. */
  readonly ttl: number;
  /** Longest wait in milliseconds (0: one attempt; Infinity: until granted or aborted). */
  readonly timeout: number;
  /** Monotonic time (ms) the acquisition began; the timeout counts from then. */
  readonly started: number;
  /** Aborts when the caller's signal aborts or the provider closes. */
  readonly signal: AbortSignal;
}

/** How a wait ended without throwing: a grant, or the timeout (with the last transient error seen). */
export interface WaitOutcome {
  readonly grant?: Grant | undefined;
  /** The transient error of the last attempt before the time ran out, if it failed. */
  readonly lastError?: unknown;
}

/** What a wait needs from the provider that runs it. */
export interface WaitContext {
  readonly backend: LockBackend;
  readonly tuning: WaitTuning;
  /** The provider's local FIFO of `key`. */
  queueFor(key: string): KeyQueue;
  /** Forgets the queue of `key` once nobody waits on or holds it. */
  dropIfIdle(key: string, queue: KeyQueue): void;
  /** The keys this provider's waits found taken lately (they listen before their first attempt). */
  readonly contention: RecentContention;
}

/**
 * Obtains a lease, or gives up at the timeout. `timeout` 0 is exactly one attempt, without
 * queueing behind local waiters. Otherwise the waiter joins the provider's local queue for the
 * key and, at its head, runs one of two strategies: {@link waitNatively} on backends with a
 * native blocking wait, {@link pollAndListen} on the others.
 *
 * Transient errors (see `LockBackend.isRetryable`) do not end a wait with time left: it backs off
 * and tries again, and if the time runs out the last of them is reported as the timeout's cause.
 */
export async function obtainLease(ctx: WaitContext, request: WaitRequest): Promise<WaitOutcome> {
  const { backend, key, ttl, signal } = { backend: ctx.backend, ...request };
  // timeout 0 means one attempt that gets its answer; a deadline of 0 would give up on every
  // backend that answers over the network.
  if (request.timeout === 0) {
    return { grant: await attemptOnce(backend, key, ttl, Number.POSITIVE_INFINITY, signal) };
  }
  const queue = ctx.queueFor(key);
  const ticket = queue.enter();
  try {
    const wait = new Wait(ctx, request, queue, ticket);
    // The only waiter of the key on this provider goes straight on (the common case); the others
    // wait for their turn, the abort or the timeout.
    if (ticket.hasTurn) signal.throwIfAborted();
    else if ((await settleFirst(ticket.turn, [signal], wait.left())) === TIMED_OUT) return {};
    return backend.acquireBlocking ? await wait.waitNatively() : await wait.pollAndListen();
  } finally {
    ticket.leave();
    ctx.dropIfIdle(key, queue);
  }
}

/**
 * Resolves once the callbacks already due in this turn of the event loop have run (one
 * `setImmediate`). A wait on a key found taken lately will most likely queue, so starting it a
 * moment later costs it nothing, while its setup and first request (about 0.1 ms of CPU with a
 * network backend) delay whatever else was due: in a process where other code holds the same
 * lock, that can be the end of its critical section and the release every waiter is waiting for
 * (timers that come due together run one after another). Measured on Redis, 16 waiters on one
 * key, each with its own provider: 1 ms holds 0.06–0.12 ms shorter, 1–8 % more sections per second.
 */
function afterDueCallbacks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The state of one waiter at the head of its local queue. */
class Wait {
  private readonly backend: LockBackend;
  private readonly contention: RecentContention;
  private readonly backoff: Backoff;
  private readonly tuning: WaitTuning;
  private readonly deadline: number;
  /** The transient error of the latest attempt, cleared when an attempt gets an answer. */
  private lastError: unknown;

  constructor(
    ctx: WaitContext,
    private readonly request: WaitRequest,
    private readonly queue: KeyQueue,
    private readonly ticket: Ticket,
  ) {
    this.backend = ctx.backend;
    this.contention = ctx.contention;
    this.backoff = new Backoff(ctx.tuning);
    this.tuning = ctx.tuning;
    this.deadline = request.started + request.timeout;
  }

  /** Milliseconds until the timeout (may be Infinity or ≤ 0). */
  left(): number {
    return this.deadline - now();
  }

  /**
   * Strategy for backends with `acquireBlocking` (MySQL `GET_LOCK`): the server queues the waiter
   * and answers when the lock is granted or the time ran out, so core does not poll. On abort the
   * backend gets a grace period to stop its server-side wait (see `graceOnAbort`). A finite wait
   * is handed over in pieces of at most 2³¹−1 ms, so that a backend's own timers cannot overflow
   * (Node fires a longer `setTimeout` after 1 ms); the next piece follows while time is left.
   */
  async waitNatively(): Promise<WaitOutcome> {
    const { key, ttl, signal } = this.request;
    const blocking = this.backend.acquireBlocking!;
    const onLate = (lease: Parameters<typeof releaseLate>[1]) => releaseLate(this.backend, lease);
    for (;;) {
      try {
        const sentAt = now();
        const left = this.left();
        const piece = Number.isFinite(left) ? Math.min(left, MAX_TIMER_DELAY) : left;
        const lease = await graceOnAbort(
          blocking.call(this.backend, key, ttl, piece, signal),
          signal,
          onLate,
        );
        this.lastError = undefined;
        if (lease === undefined) {
          if (this.left() <= 0) return {};
          // A whole piece waited: the next one starts at once. One that ended early backs off.
          if (now() - sentAt >= piece) continue;
        } else {
          const grant = usableGrant(this.backend, lease, sentAt, ttl);
          if (grant) return { grant };
        }
      } catch (error) {
        this.keepWaitingAfter(error);
      }
      if (this.left() <= 0) return { lastError: this.lastError };
      await this.sleep(Math.min(this.backoff.next(), this.left()));
    }
  }

  /**
   * Strategy for the other backends: attempt, then sleep with backoff and jitter until a release
   * notification (`onReleased`), a local release or the next poll, and attempt again. While this
   * provider itself holds the key, the head waits for the local release instead of asking.
   *
   * A release between a failed attempt and the subscription that follows it would be missed, so
   * a wait that subscribes after its first attempt attempts once more before it sleeps. On a key
   * this provider found taken lately (see {@link RecentContention}) and does not hold itself, the
   * wait subscribes first instead, and that second attempt is not needed; such a wait starts
   * after the callbacks already due (see {@link afterDueCallbacks}).
   */
  async pollAndListen(): Promise<WaitOutcome> {
    const { key, ttl, signal } = this.request;
    const { backend, queue, ticket } = this;
    // Fair backends: this wait's entry in the server-side queue (only the local head attempts).
    const fair = fairWait(backend, key, this.tuning.queueEntryTtl);
    let unsubscribe: (() => void) | undefined;
    // Not when this provider holds the key: the wait then starts after a local release, when the
    // key is most likely free, and attempting at once is faster (subscribing can cost a round
    // trip, e.g. on MongoDB, where it reads the holder's expiry).
    let listenFirst =
      backend.onReleased !== undefined && queue.held === 0 && this.contention.has(key);
    let granted = false;
    try {
      for (;;) {
        ticket.takeWake();
        try {
          if (listenFirst) {
            listenFirst = false;
            await afterDueCallbacks();
            const subscribed = await this.listen(fair);
            if (subscribed === TIMED_OUT) return {};
            unsubscribe = subscribed;
          }
          if (queue.held === 0) {
            const grant = await attemptOnce(backend, key, ttl, this.left(), signal, fair?.entry);
            granted = grant !== undefined;
            if (grant) return { grant };
            this.lastError = undefined;
            this.contention.note(key);
          }
          if (this.left() <= 0) return { lastError: this.lastError };
          if (unsubscribe === undefined && backend.onReleased && queue.held === 0) {
            const subscribed = await this.listen(fair);
            if (subscribed === TIMED_OUT) return {};
            unsubscribe = subscribed;
            continue; // a release between the failed attempt and the subscription must not be missed
          }
        } catch (error) {
          this.keepWaitingAfter(error);
          if (this.left() <= 0) return { lastError: this.lastError };
        }
        // A backend that follows the queue for this waiter wakes it; sleeps only refresh the entry.
        const followed = fair !== undefined && backend.followsQueue?.(key, fair.entry.id) === true;
        const backoff = followed ? Number.POSITIVE_INFINITY : this.backoff.next();
        const pause = Math.min(backoff, this.left(), fair?.maxSleep ?? Infinity);
        if (await this.sleep(pause)) this.backoff.reset();
      }
    } finally {
      if (fair && !granted) await fair.leave();
      unsubscribe?.();
    }
  }

  /**
   * Subscribes to the key's release notifications (see `onReleased`); a notification wakes this
   * wait unless it names another node's waiter. Resolves the unsubscribe function once the
   * subscription is active, or {@link TIMED_OUT} if the wait's time ran out first.
   */
  private listen(fair: FairWait | undefined): Promise<(() => void) | typeof TIMED_OUT> {
    const { ticket } = this;
    return settleFirst(
      this.backend.onReleased!(this.request.key, (next) => {
        if (!fair || fair.concerns(next)) ticket.wake();
      }),
      [this.request.signal],
      this.left(),
      (stop) => stop(),
    );
  }

  /** Rethrows `error` unless it is transient; remembers it as the latest error otherwise. */
  private keepWaitingAfter(error: unknown): void {
    const { signal } = this.request;
    if (signal.aborted && signal.reason === error) throw error;
    if (error instanceof LockProviderClosedError) throw error;
    const retryable = this.backend.isRetryable
      ? this.backend.isRetryable(error)
      : isTransientNetworkError(error);
    if (!retryable) throw error;
    this.lastError = error;
  }

  /** Sleeps up to `ms`, ending early on a wake-up (returns true) or an abort (rejects). */
  private sleep(ms: number): Promise<boolean> {
    const { ticket } = this;
    if (ticket.takeWake()) return Promise.resolve(true);
    let wake!: () => void;
    const woken = new Promise<true>((resolve) => {
      wake = () => resolve(true);
    });
    ticket.listen(wake);
    return settleFirst(woken, [this.request.signal], ms).then(
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
}
