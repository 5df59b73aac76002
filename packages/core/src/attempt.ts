import type { BackendLease, LockBackend, WaiterEntry } from "./lock-backend.js";
import { now } from "./monotonic.js";
import { settleFirst, TIMED_OUT } from "./race.js";

/** A lease granted to an acquisition, with the monotonic time its attempt was sent. */
export interface Grant {
  readonly lease: BackendLease;
  /** Monotonic time (ms) the successful attempt was sent: the lease is counted from then. */
  readonly sentAt: number;
}

/** Longest wait (ms) for an attempt cut short by a deadline or an abort, and for its clean-up. */
const CUT_SHORT_GRACE = 250;

/** Longest wait (ms) for a native blocking wait to stop after its signal aborted. */
const BLOCKING_ABORT_GRACE = 250;

/**
 * A grant whose lease already ended when its answer was read (the event loop stalled past the
 * ttl while the attempt was on the wire) is given back and counts as a failed attempt: a handle
 * is never handed out past its lease's known deadline, when another node may hold the key.
 */
export function usableGrant(
  backend: LockBackend,
  lease: BackendLease,
  sentAt: number,
  ttl: number,
): Grant | undefined {
  if (now() < sentAt + (lease.validity ?? ttl)) return { lease, sentAt };
  releaseLate(backend, lease);
  return undefined;
}

/** Releases a lease nobody will use (granted too late), in the background. */
export function releaseLate(backend: LockBackend, lease: BackendLease | undefined): void {
  if (lease) void backend.release(lease).catch(() => {});
}

/**
 * One `tryAcquire` that gives up when `signal` aborts (rejecting with its reason) or after `ms`
 * (resolving undefined). A given-up attempt is cut short (see {@link cutShort}).
 */
export async function attemptOnce(
  backend: LockBackend,
  key: string,
  ttl: number,
  ms: number,
  signal: AbortSignal,
  waiter?: WaiterEntry,
): Promise<Grant | undefined> {
  const sentAt = now();
  const pending = waiter ? backend.tryAcquire(key, ttl, waiter) : backend.tryAcquire(key, ttl);
  let lease: BackendLease | undefined | typeof TIMED_OUT;
  try {
    lease = await settleFirst(pending, [signal], ms);
  } catch (error) {
    if (signal.aborted && signal.reason === error) await cutShort(backend, pending);
    throw error;
  }
  if (lease === TIMED_OUT) {
    await cutShort(backend, pending);
    return undefined;
  }
  return lease === undefined ? undefined : usableGrant(backend, lease, sentAt, ttl);
}

/**
 * An attempt cut short by the deadline or an abort may still be granted by the backend. Waits
 * (up to {@link CUT_SHORT_GRACE} ms) for its answer and for the release of a late grant, so that
 * a timed-out or cancelled wait has left nothing behind by the time it reports, and a release
 * right after cannot be taken by the abandoned attempt. Past the grace, a late grant is still
 * released when it arrives.
 */
async function cutShort(
  backend: LockBackend,
  pending: Promise<BackendLease | undefined>,
): Promise<void> {
  const late = await settleFirst(
    pending.catch(() => undefined),
    [],
    CUT_SHORT_GRACE,
  );
  if (late === TIMED_OUT) {
    pending.then(
      (lease) => releaseLate(backend, lease),
      () => {},
    );
    return;
  }
  if (late)
    await settleFirst(
      backend.release(late).catch(() => false),
      [],
      CUT_SHORT_GRACE,
    );
}

/**
 * Settles like `promise`, except that once `signal` aborts it rejects with `signal.reason` as soon
 * as `promise` settles or {@link BLOCKING_ABORT_GRACE} ms have passed, whichever comes first: a
 * native blocking wait gets a moment to stop its server-side wait, so that a release right after
 * the rejection is not granted to the cancelled wait. A value that still arrives after the abort
 * is handed to `onLate` (a lock granted too late).
 */
export function graceOnAbort<T>(
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
