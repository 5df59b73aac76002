import type { RedisConnection, RedisSubscriberConnection } from "./connection.js";
import { hashSlot } from "./slot.js";
import { type ReleaseListener, ReleaseSubscriber, type Subscription } from "./subscriber.js";

/** The parts of an ioredis `Cluster` used to find the master that owns a slot. */
interface ClusterTopology {
  /** Per slot, the keys (`host:port`) of its nodes, master first (ioredis `Cluster.slots`). */
  readonly slots?: ReadonlyArray<readonly string[] | undefined>;
  /** The connections to the cluster's nodes (ioredis `Cluster.nodes`). */
  nodes?(role: "master"): ReadonlyArray<NodeConnection>;
}

/** An ioredis `Redis` connection to one node of a Cluster. */
interface NodeConnection {
  readonly options?: { readonly host?: string; readonly port?: number };
  duplicate(override: Record<string, unknown>): RedisSubscriberConnection;
}

/** Reconnection delays (ms) of a subscriber to one master: 50, 100, … 1,000 (20 attempts, about 10 s in all). */
function nodeRetryStrategy(times: number): number | null {
  return times > 20 ? null : times * 50;
}

/**
 * Release messages on a Redis Cluster. A PUBLISH reaches the subscribers of the node that ran it
 * at once, and those of every other node over the cluster bus, whose links Redis opens without
 * TCP_NODELAY: there a message can wait for tens of milliseconds. So a channel is subscribed on
 * the master that owns its slot (the slot of the lock's keys, where the release script runs),
 * through a connection to that node.
 *
 * The Cluster's own subscriber (any node, re-routed by ioredis after failovers) is the fallback:
 * a subscription moves there when the owner's connection is lost (its waiter is then woken once,
 * since what was published meanwhile is missed), or when the owner does not confirm it, or when
 * the client does not know the slot's owner. It is not subscribed as well in the normal case:
 * every message would then reach the process twice, once over the bus (16 own providers on one
 * key: 18 % more CPU per critical section in the waiters' process, median 387 against 328 µs).
 */
export class ClusterReleaseSubscriber implements ReleaseListener {
  private readonly anyNode: ReleaseSubscriber;
  /** Subscribers to single masters, by node key (`host:port`). */
  private readonly owners = new Map<string, ReleaseSubscriber>();
  private closed = false;

  constructor(
    private readonly cluster: RedisConnection,
    private readonly confirmTimeout: number,
  ) {
    this.anyNode = ReleaseSubscriber.of(cluster, confirmTimeout);
  }

  subscribe(channel: string, listener: (next?: string) => void): Subscription {
    const owner = this.ownerOf(channel);
    if (!owner) return this.anyNode.subscribe(channel, listener);
    const viaOwner = owner.subscribe(channel, listener);
    let viaCluster: Subscription | undefined;
    let stopped = false;
    const fallBack = (recheck: boolean): Subscription => {
      if (viaCluster) return viaCluster;
      const subscription = this.anyNode.subscribe(channel, listener);
      viaCluster = subscription;
      if (recheck) {
        // What was published between the loss and this confirmation went nowhere.
        void subscription.ready.then((confirmed) => {
          if (confirmed && !stopped) listener();
        });
      }
      return subscription;
    };
    const stopWatching = owner.onLost(() => {
      if (!stopped) fallBack(true);
    });
    return {
      // The owner's confirmation first: a waiter that attempted before it (the connection to a
      // master this provider had not used still opening) would be told of a hand-over over the
      // bus, tens of milliseconds late (16 own providers on a fresh key: gaps of 36 and 88 ms).
      ready: viaOwner.ready.then((confirmed) => confirmed || fallBack(false).ready),
      stop: () => {
        stopped = true;
        stopWatching();
        viaOwner.stop();
        viaCluster?.stop();
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [this.anyNode, ...this.owners.values()];
    this.owners.clear();
    await Promise.all(all.map((subscriber) => subscriber.close()));
  }

  /** A subscriber on the master that owns `channel`'s slot, if the client knows it. */
  private ownerOf(channel: string): ReleaseSubscriber | undefined {
    if (this.closed) return undefined;
    const topology = this.cluster as ClusterTopology;
    const nodeKey = topology.slots?.[hashSlot(channel)]?.[0];
    if (nodeKey === undefined) return undefined;
    const existing = this.owners.get(nodeKey);
    if (existing) return existing;
    const node = topology
      .nodes?.("master")
      .find((n) => `${n.options?.host}:${n.options?.port}` === nodeKey);
    if (!node || typeof node.duplicate !== "function") return undefined;
    const subscriber = new ReleaseSubscriber(() => {
      // ioredis opens a Cluster's node connections lazily and without reconnection (the Cluster
      // itself re-routes); this one reconnects by itself for a while, then gives up.
      const connection = node.duplicate({
        lazyConnect: false,
        retryStrategy: nodeRetryStrategy,
        enableOfflineQueue: true,
      });
      connection.on("end", () => {
        // Given up (the node is gone): the next subscription looks the slot's owner up again.
        if (this.owners.get(nodeKey) === subscriber) this.owners.delete(nodeKey);
        void subscriber.close().catch(() => {});
      });
      return connection;
    }, this.confirmTimeout);
    this.owners.set(nodeKey, subscriber);
    return subscriber;
  }
}
