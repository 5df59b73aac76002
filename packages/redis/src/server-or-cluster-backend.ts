import {
  type BackendLease,
  type ExtendResult,
  type LockBackend,
  now,
  type WaiterEntry,
  type WaitTuning,
} from "@locks/core/backend";
import { ClusterReleaseSubscriber } from "./cluster-subscriber.js";
import {
  answerWithin,
  closeConnection,
  integerReply,
  type RedisConnection,
  runScript,
} from "./connection.js";
import type { Drift } from "./drift.js";
import { redisLockKeys } from "./keys.js";
import { ACQUIRE, EXTEND, LEAVE_QUEUE, RELEASE_TO_HEAD } from "./scripts.lua.js";
import { isCluster, type ReleaseListener, ReleaseSubscriber } from "./subscriber.js";
import { newToken, pxTtl } from "./token.js";

/**
 * One Redis server, or one Redis Cluster (the lock's keys share a hash slot, so each operation is
 * one script on one master). Fencing tokens come from a counter incremented in the acquire script.
 */
export class ServerOrClusterBackend implements LockBackend {
  readonly name = "redis";
  readonly capabilities = {
    fencing: true,
    leases: true,
    distributed: true,
    notifications: true,
    fairness: true,
  } as const;
  readonly waitTuning: Partial<WaitTuning>;
  private readonly subscriber: ReleaseListener;
  /**
   * When each lease granted here ends on the server at the latest (monotonic ms: send time + ttl,
   * no drift allowance): a renewal answered later cannot save it, so none waits longer.
   */
  private readonly leaseEnds = new WeakMap<BackendLease, number>();
  /**
   * This provider's name in queue entries: a waiter's entry is `node/id`, and releases notify the
   * head on the key's channel suffixed `:node`, which only this provider subscribes to.
   */
  private readonly node = newToken().slice(0, 16);
  /** What this provider puts before each of its waiters' ids in the server's queue. */
  private readonly entryPrefix = `${this.node}/`;
  /** This provider's waits in a server-side queue, by waiter id (until granted or left). */
  private readonly waits = new Map<string, PendingWait>();

  constructor(
    private readonly client: RedisConnection,
    private readonly ownsClient: boolean,
    private readonly drift: Drift,
    waitTuning: Partial<WaitTuning>,
    subscribeTimeout: number,
    /** Longest wait (ms) for a release's answer. */
    private readonly releaseTimeout: number,
  ) {
    this.waitTuning = waitTuning;
    this.subscriber = isCluster(client)
      ? new ClusterReleaseSubscriber(client, subscribeTimeout)
      : ReleaseSubscriber.of(client, subscribeTimeout);
  }

  async tryAcquire(
    key: string,
    ttl: number,
    waiter?: WaiterEntry,
  ): Promise<BackendLease | undefined> {
    const wait = waiter ? this.waitOf(waiter, ttl) : undefined;
    if (wait?.fence !== undefined) {
      // Handed over by a release, for `wait.handOver` ms at most and never past the entry's
      // expiry. The last attempt the server answered (it found the key taken) renewed the entry
      // after it was sent, and the hand-over came later still, so that lease lasts at least until
      // that send time + handOver.
      const validity = wait.sentAt + wait.handOver - now() - this.drift(wait.handOver);
      if (validity >= wait.handOver / 3) {
        this.waits.delete(wait.id);
        const lease = { key, token: wait.entry, fencingToken: wait.fence, validity };
        this.leaseEnds.set(lease, wait.sentAt + wait.handOver);
        return lease;
      }
      // Too little of it is known to be left: the attempt below takes it over for the ttl (the
      // lock holds this wait's entry, which the acquire script recognises).
      wait.fence = undefined;
    }
    const keys = redisLockKeys(key);
    const token = newToken();
    const sentAt = now();
    const reply = await runScript(
      this.client,
      ACQUIRE,
      [keys.lock, keys.fence, keys.queue, keys.queueExpiry],
      [token, pxTtl(ttl), wait ? wait.entry : "", waiter ? pxTtl(waiter.ttl) : 0],
    );
    const fence = fenceReply(reply);
    if (fence === undefined) {
      // Only an answered attempt counts: one that never reached the server (a dropped
      // connection) renewed nothing, and counting from it would trust a hand-over too long.
      if (wait && sentAt > wait.sentAt) wait.sentAt = sentAt;
      return undefined;
    }
    if (wait) this.waits.delete(wait.id);
    const lease = { key, token, fencingToken: fence, validity: ttl - this.drift(ttl) };
    this.leaseEnds.set(lease, sentAt + ttl);
    return lease;
  }

  /**
   * The state of the wait `waiter`, made at its first attempt. A release hands the key
   * to the head of the queue for the shorter of the ttl and the waiter's entry ttl, so that a
   * waiter that died in the queue blocks the key no longer than its entry would have.
   */
  private waitOf(waiter: WaiterEntry, ttl: number): PendingWait {
    let wait = this.waits.get(waiter.id);
    if (wait === undefined) {
      const handOver = Math.min(pxTtl(ttl), pxTtl(waiter.ttl));
      const entry = `${this.entryPrefix}${waiter.id}/${handOver}`;
      wait = { id: waiter.id, entry, handOver, sentAt: 0 };
      this.waits.set(waiter.id, wait);
    }
    return wait;
  }

  async extend(lease: BackendLease, ttl: number): Promise<ExtendResult> {
    const { lock } = redisLockKeys(lease.key);
    const sentAt = now();
    // A renewal answered after the lease ended cannot save it: do not wait for one longer
    // (during an outage ioredis would hold it for its ~15 s of reconnection attempts).
    const end = this.leaseEnds.get(lease) ?? Number.POSITIVE_INFINITY;
    const reply = await answerWithin(
      runScript(this.client, EXTEND, [lock], [lease.token, pxTtl(ttl)]),
      end - sentAt,
      `Renewing "${lease.key}"`,
    );
    const held = integerReply(reply) === 1;
    if (held) this.leaseEnds.set(lease, sentAt + ttl);
    return held ? "renewed" : "lost";
  }

  async release(lease: BackendLease): Promise<boolean> {
    const { lock, fence, queue, queueExpiry, channel } = redisLockKeys(lease.key);
    // Bounded, so that leaving `await using` during an outage does not hang: an unconfirmed
    // release is still sent when the connection returns, and the lease expires by itself anyway.
    const reply = await answerWithin(
      runScript(
        this.client,
        RELEASE_TO_HEAD,
        [lock, fence, queue, queueExpiry],
        [lease.token, channel],
      ),
      this.releaseTimeout,
      `Releasing "${lease.key}"`,
    );
    return integerReply(reply) === 1;
  }

  async leaveQueue(key: string, waiterId: string): Promise<void> {
    const wait = this.waits.get(waiterId);
    if (wait === undefined) return;
    this.waits.delete(waiterId);
    const { lock, fence, queue, queueExpiry, channel } = redisLockKeys(key);
    await runScript(
      this.client,
      LEAVE_QUEUE,
      [lock, fence, queue, queueExpiry],
      [wait.entry, channel],
    );
  }

  async onReleased(key: string, listener: (next?: string) => void): Promise<() => void> {
    const mine = this.entryPrefix;
    const subscription = this.subscriber.subscribe(
      `${redisLockKeys(key).channel}:${this.node}`,
      // Messages here name a waiter of this provider (`node/wait/ttl`, then the fencing token
      // if the key was handed over to it): pass core the id it gave.
      (message) => {
        if (message === undefined || !message.startsWith(mine)) return listener(message);
        const [entry, fence] = message.split(" ", 2) as [string, string | undefined];
        const id = entry.slice(mine.length).split("/", 1)[0]!;
        const wait = this.waits.get(id);
        if (
          wait !== undefined &&
          wait.entry === entry &&
          fence !== undefined &&
          /^\d+$/.test(fence)
        ) {
          wait.fence = BigInt(fence);
        }
        listener(id);
      },
    );
    await subscription.ready;
    return subscription.stop;
  }

  async close(): Promise<void> {
    await this.subscriber.close();
    if (this.ownsClient) await closeConnection(this.client);
  }
}

/** A wait of this provider in a key's server-side queue. */
interface PendingWait {
  readonly id: string;
  /** Its entry in the queue (`node/wait/handOver`): also the lock's value once it is granted. */
  readonly entry: string;
  /** Length (ms) of the lease a release that hands it the key grants. */
  readonly handOver: number;
  /** Monotonic time the latest attempt the server answered (key taken) was sent; 0: none yet. */
  sentAt: number;
  /** The fencing token of a hand-over announced for it, not yet taken. */
  fence?: bigint | undefined;
}

/** Parses the acquire script's reply: 0 = held by someone else, else the fence as decimal text. */
function fenceReply(reply: unknown): bigint | undefined {
  let text: string;
  if (typeof reply === "string") text = reply;
  else if (Buffer.isBuffer(reply)) text = reply.toString("utf8");
  else if (typeof reply === "number" && Number.isSafeInteger(reply)) text = String(reply);
  else throw new TypeError(`Unexpected reply from the Redis acquire script: ${String(reply)}`);
  if (!/^\d+$/.test(text)) {
    throw new TypeError(`Unexpected reply from the Redis acquire script: ${text}`);
  }
  const fence = BigInt(text);
  return fence === 0n ? undefined : fence;
}
