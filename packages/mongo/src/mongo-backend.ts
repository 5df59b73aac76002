import { randomBytes } from "node:crypto";
import type { LockCapabilities } from "@locks/core";
import {
  type BackendLease,
  type ExtendResult,
  type LockBackend,
  MAX_TIMER_DELAY,
  now,
  replyWithin,
  settleFirst,
  TIMED_OUT,
  type WaiterEntry,
} from "@locks/core/backend";
import type { Collection, Db, MongoClient } from "mongodb";
import { ChangeFeed } from "./change-feed.js";
import { type Detected, detect, type MongoServerFeatures } from "./detect.js";
import { isTransientMongoError } from "./errors.js";
import { assertLeaseFits } from "./expiry.js";
import { InFlight } from "./in-flight.js";
import type { LockDocument } from "./lock-document.js";
import type { ResolvedMongoOptions } from "./options.js";
import type { LockProtocol, MongoLease, MongoLockState } from "./protocol.js";
import { localTimeReader, ServerClock } from "./server-clock.js";

export type { MongoServerFeatures } from "./detect.js";
export type { MongoLockState } from "./protocol.js";

/**
 * Where no change stream reports releases: the pause (ms) between two reads of a key by the node
 * of the waiter right behind the head of its queue; the head's node pauses half as long (a release
 * is noticed within about that plus one read by the node that can take it), and the one behind
 * knows it leads by the time the head's grant ends.
 */
const HEAD_POLL_INTERVAL = 10;

/** The slowest reading (ms) of a waiter further back, as often as core's longest backoff here. */
const FAR_POLL_INTERVAL = 100;

/**
 * How often (ms) a node reads a key while its waiter has `ahead` live entries ahead of it: the
 * head and the next quickly, those further back less often the further they are (each hand-off
 * moves them up one place), so that the waiter that a grant makes the new head already polls
 * quickly, and a key costs the server a few quick reads per hand-off however many nodes wait.
 */
function watchInterval(ahead: number): number {
  // One read at a time per key, and the pause starts when it is answered.
  if (ahead === 0) return HEAD_POLL_INTERVAL / 2;
  if (ahead === 1) return HEAD_POLL_INTERVAL;
  return Math.min(FAR_POLL_INTERVAL, 2 * HEAD_POLL_INTERVAL * (ahead - 1));
}

/** A fresh owner token: 128 random bits. */
function ownerToken(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The MongoDB {@link LockBackend}: detects the server's features once, then hands every lock
 * operation to the protocol chosen for it (see {@link detect}).
 */
export class MongoBackend implements LockBackend {
  readonly name = "mongo";
  readonly capabilities: LockCapabilities;
  // Polling is the only wake-up on servers without change streams: keep its worst case short.
  readonly waitTuning = { minDelay: 5, maxDelay: 100 };
  readonly collection: Collection<LockDocument>;
  private readonly db: Db;
  private readonly clock: ServerClock;
  private readonly feed: ChangeFeed;
  /**
   * Per lease, the local monotonic time (ms) by which it has surely ended on the server: the
   * answer to its grant or latest renewal arrived by then, plus its ttl and the clock's
   * uncertainty. A release need not wait past it.
   */
  private readonly endsBy = new WeakMap<BackendLease, number>();
  /**
   * Attempts in flight per waiter id: `leaveQueue` waits for them, or a leave issued while an
   * attempt is still queueing the waiter would run before it and leave its entry behind.
   */
  private readonly attempts = new InFlight();
  private detecting: Promise<Detected> | undefined;
  private known: Detected | undefined;
  private closed = false;
  /**
   * @internal Lets tests drive the document protocol's code on FerretDB one operation at a time
   * (its sequential semantics are the same; only concurrent acquires are unsafe there).
   */
  allowDocumentOnFerretDB = false;

  constructor(
    readonly client: MongoClient,
    private readonly ownsClient: boolean,
    private readonly options: ResolvedMongoOptions,
  ) {
    this.db = client.db(options.database);
    this.collection = this.db.collection<LockDocument>(options.collection, {
      writeConcern: options.writeConcern,
    });
    this.clock = new ServerClock(localTimeReader(this.db));
    this.feed = new ChangeFeed(this.collection, {
      required: options.changeStream === true,
      // "auto" gives up a stream the server does not await: report what waiters use now.
      onUnusable: () => {
        if (this.known) {
          this.known = {
            ...this.known,
            features: { ...this.known.features, changeStream: false },
          };
        }
      },
    });
    const feed = this.feed;
    const fair = () => options.fairness === "fifo" && (this.known?.protocol.fair ?? true);
    this.capabilities = {
      fencing: true,
      leases: true,
      distributed: true,
      get notifications() {
        return feed.active;
      },
      // Both protocols keep a queue of waiting nodes; only the document protocol driven on
      // FerretDB by tests (no in-place array updates there) does without, and a provider whose
      // waiters race (`fairness: "none"`) never joins it.
      get fairness() {
        return fair();
      },
    };
  }

  /** Detects the server's features once (probes are retried after a failure). */
  async ready(): Promise<MongoServerFeatures> {
    await this.detected();
    // As they are now: "auto" may have given up the change stream since detection.
    return this.known!.features;
  }

  async tryAcquire(
    key: string,
    ttl: number,
    waiter?: WaiterEntry,
  ): Promise<BackendLease | undefined> {
    assertLeaseFits(ttl);
    const { protocol } = await this.detected();
    const attempt = protocol.tryAcquire(key, ttl, ownerToken(), waiter);
    const lease = await (waiter ? this.attempts.track(waiter.id, attempt) : attempt);
    if (lease) this.endsBy.set(lease, this.leaseEnd(ttl));
    return lease;
  }

  /** "renewed", or "lost" when another owner (or none) holds the key; throws = unknown. */
  async extend(lease: BackendLease, ttl: number): Promise<ExtendResult> {
    assertLeaseFits(ttl);
    const { protocol } = await this.detected();
    // A renewal answered more than ttl after it was sent cannot have kept a lease alive for anyone
    // who relies on it: give up then (an unknown outcome) instead of waiting for the driver's
    // server selection timeout, so that a release waiting for it is not held up either.
    const bound = Math.max(ttl, 1);
    const renewed = await replyWithin(
      protocol.extend(lease as MongoLease, ttl),
      bound,
      () => new Error(`the server did not answer a renewal within ${bound} ms`),
    );
    if (!renewed) return "lost";
    this.endsBy.set(lease, this.leaseEnd(ttl));
    return "renewed";
  }

  /**
   * Frees the key if `lease` still holds it. Waits for the server at most until the lease has
   * surely ended by itself (then it resolves false: there is nothing left to release), so the
   * release of a lost or expired handle during an outage returns at once instead of after the
   * driver's server selection timeout.
   */
  async release(lease: BackendLease): Promise<boolean> {
    const left = (this.endsBy.get(lease) ?? Number.POSITIVE_INFINITY) - now();
    if (left <= 0) return false;
    const { protocol } = await this.detected();
    const released = await settleFirst(protocol.release(lease as MongoLease), [], left);
    return released === TIMED_OUT ? false : released;
  }

  /** Removes `waiterId`'s entry from the queue of waiting nodes of `key` at once. */
  async leaveQueue(key: string, waiterId: string): Promise<void> {
    const { protocol } = await this.detected();
    await this.attempts.settled(waiterId);
    await protocol.leaveQueue(key, waiterId);
  }

  /**
   * True while `waiterId` is queued for `key`: then {@link onReleased} wakes it when its attempt
   * may be granted (a release naming it, or its own reads: see `watchPlace`), and core's backoff
   * attempts could not be granted before that; they would only load the server.
   */
  followsQueue(key: string, waiterId: string): boolean {
    return this.known?.protocol.placeInQueue(key, waiterId) !== undefined;
  }

  /** Whether a failed operation may succeed when retried (network errors, failovers). */
  isRetryable(error: unknown): boolean {
    return !this.closed && isTransientMongoError(error);
  }

  /** The state of `key` (provider prefix included) on the server, for operators and tests. */
  async inspect(key: string): Promise<MongoLockState | undefined> {
    return (await this.detected()).protocol.inspect(key);
  }

  /**
   * Frees `key` whatever its holder, keeping its fencing counter (the holder notices on its next
   * renewal). For operators and fault-injection tests.
   */
  async forceRelease(key: string): Promise<void> {
    return (await this.detected()).protocol.forceRelease(key);
  }

  /**
   * Wakes `listener` on a release of `key` (change stream; it names the queue's head as `next`
   * when the event says) and when the holder's lease runs out (a timer; names nobody).
   */
  async onReleased(key: string, listener: (next?: string) => void): Promise<() => void> {
    const { protocol } = await this.detected();
    // The features as they are now ("auto" may have given up a stream since detection).
    const { features } = this.known!;
    const stops: Array<() => void> = [];
    if (features.changeStream) {
      // Not awaited: establishing a stream can take up to its first getMore (1 s), and the head of
      // the queue must not stop attempting meanwhile (nobody behind it can be granted). Until the
      // stream delivers, the head polls (below); a failed stream is reopened by the next wait.
      if (!this.feed.active) void this.feed.open().catch(() => {});
      stops.push(this.feed.subscribe(key, listener));
    }
    stops.push(this.watchPlace(key, protocol, listener));
    // Expiry makes no event: wake the waiter when the holder's lease runs out. Not awaited: the
    // holder's expiry is a read, and a wait that subscribes before its first attempt (a key found
    // taken recently) must not wait for it to make that attempt.
    stops.push(this.wakeAtExpiry(key, protocol, () => listener()));
    return () => {
      for (const stop of stops) stop();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.feed.close();
    if (this.ownsClient) await this.client.close();
  }

  /** Features detected so far (undefined before the first operation or `ready()`). */
  get features(): MongoServerFeatures | undefined {
    return this.known?.features;
  }

  /** @internal The protocol in use, once detected (tests reach into it). */
  get protocol(): LockProtocol | undefined {
    return this.known?.protocol;
  }

  private detected(): Promise<Detected> {
    if (this.closed) return Promise.reject(new Error("the provider is closed"));
    this.detecting ??= this.connectAndDetect().then(
      (detected) => {
        this.known = detected;
        // The stream opens in the background: the first wait awaits it, acquires never do.
        if (detected.features.changeStream) void this.feed.open().catch(() => {});
        return detected;
      },
      (error: unknown) => {
        this.detecting = undefined;
        throw error;
      },
    );
    return this.detecting;
  }

  private async connectAndDetect(): Promise<Detected> {
    // Connect explicitly: when the driver's implicit connect of a first operation fails (server
    // unreachable for longer than the server selection timeout), it leaves the client closed and
    // every later operation fails with "Topology is closed". An explicit connect() reopens it,
    // and a failed detection is retried by the next operation.
    await this.client.connect();
    return detect({
      db: this.db,
      collection: this.collection,
      clock: this.clock,
      options: this.options,
      allowDocumentOnFerretDB: this.allowDocumentOnFerretDB,
    });
  }

  /** Local monotonic time by which a lease of `ttl` ms granted or renewed just now has ended. */
  private leaseEnd(ttl: number): number {
    return now() + ttl + (this.clock.uncertainty ?? 0);
  }

  /**
   * While this node's waiter is queued for `key`: reads the key and the waiter's place in its
   * queue (one read at a time) and wakes the waiter when its next attempt may be granted.
   * Without release events (no change stream, or not yet established) at an interval set by its
   * place (see {@link watchInterval}): otherwise the waiter that a grant makes the new head would
   * learn it only at its next attempt, and every hand-off would cost that sleep. With them (a
   * release names the next waiter), only the head and the one behind it read, every
   * {@link FAR_POLL_INTERVAL}: for what makes no event (a holder's lease running out, a release
   * naming a waiter that has just left).
   */
  private watchPlace(key: string, protocol: LockProtocol, listener: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const next = (delay: number) => {
      if (stopped) return;
      timer = setTimeout(tick, delay);
      timer.unref();
    };
    const tick = () => {
      const ahead = protocol.placeInQueue(key);
      const events = this.feed.active;
      if (ahead === undefined || (events && ahead > 1)) return next(HEAD_POLL_INTERVAL);
      protocol
        .watch(key)
        .then(
          (admitted) => {
            if (admitted) listener();
          },
          () => listener(), // let the attempt find out what is wrong
        )
        .finally(() =>
          next(events ? FAR_POLL_INTERVAL : watchInterval(protocol.placeInQueue(key) ?? 0)),
        );
    };
    next(HEAD_POLL_INTERVAL);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  /**
   * Reads when the holder's lease of `key` ends and wakes `listener` then. Returns at once;
   * after the returned stop, a read still under way arms nothing. A failed read wakes the
   * listener, so that its attempt finds out what is wrong.
   */
  private wakeAtExpiry(key: string, protocol: LockProtocol, listener: () => void): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = async () => {
      const until = await protocol.heldUntil(key);
      if (until === undefined || stopped) return;
      const { lower } = await this.clock.bounds();
      // Lower bound of the server time: the timer fires when the lease has surely run out.
      const delay = Math.max(0, until.getTime() - lower + 1);
      if (delay > MAX_TIMER_DELAY || stopped) return;
      timer = setTimeout(listener, delay);
      timer.unref();
    };
    arm().catch(() => {
      if (!stopped) listener();
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}
