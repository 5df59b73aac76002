import { backendKey } from "@locks/core/backend";
import { eventually, redisCluster, unavailableReason } from "@locks/testing";
import { type Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterReleaseSubscriber } from "../src/cluster-subscriber.js";
import type { RedisConnection } from "../src/connection.js";
import { createRedisLockProvider, redisLockKeys } from "../src/index.js";
import { ACQUIRE } from "../src/scripts.lua.js";
import { hashSlot } from "../src/slot.js";
import { drivers } from "./drivers.js";

const found = await redisCluster();
const nodes = found?.nodes ?? [];
const startupNodes = nodes.map((n) => ({ host: n.host, port: n.port }));
let admin: Redis;

const suite = found ? describe : describe.skip;
if (!found) {
  describe("Redis Cluster", () => {
    it.skip(`no Redis Cluster: ${unavailableReason("redis-cluster")}`, () => {});
  });
}

beforeAll(() => {
  if (found) admin = new Redis(nodes[0]!.url);
});
afterAll(() => {
  admin?.disconnect();
});

/** Keys whose braces would break naive hash tags. */
const awkward = [
  "plain",
  "{user1}:x",
  "a}b{c",
  "}{",
  "{}",
  "%7D",
  "{",
  "}",
  "日本{語}",
  "x".repeat(1000),
];

suite("Redis Cluster slots and release messages", () => {
  it("computes the slot of any key as the server does", async () => {
    const keys = [
      ...awkward,
      "",
      "{a}{b}",
      "{{x}}",
      "x{}y{z}",
      "é{ü}",
      ...awkward.map((k) => redisLockKeys(k).channel),
    ];
    for (const key of keys) {
      expect(hashSlot(key), key).toBe(Number(await admin.call("CLUSTER", "KEYSLOT", key)));
    }
  });

  it.each(drivers)(
    "subscribes a channel on its slot's master only, and through the Cluster once that connection is lost ($name)",
    async ({ module }) => {
      const connectionName = `slot-test-${process.pid}-${Date.now()}`;
      const cluster = new module.Cluster(startupNodes, {
        redisOptions: { connectionName },
      }) as unknown as Cluster;
      const subscriber = new ClusterReleaseSubscriber(cluster as unknown as RedisConnection, 2_000);
      const clients = nodes.map((n) => new Redis(n.url));
      const counts = () =>
        Promise.all(
          clients.map(async (client) => {
            const reply = (await client.call("PUBSUB", "NUMSUB", channel)) as [string, number];
            return Number(reply[1]);
          }),
        );
      const total = async () => (await counts()).reduce((a, b) => a + b, 0);
      const channel = redisLockKeys(`slot-test-${Date.now()}`).channel;
      try {
        await cluster.call("PING"); // loads the slot table
        const ownerKey = cluster.slots[hashSlot(channel)]?.[0];
        const ownerIndex = nodes.findIndex((n) => `${n.host}:${n.port}` === ownerKey);
        expect(ownerIndex).toBeGreaterThanOrEqual(0);
        const owner = clients[ownerIndex]!;
        const received: Array<string | undefined> = [];
        const subscription = subscriber.subscribe(channel, (next) => received.push(next));
        expect(await subscription.ready).toBe(true);

        // One subscriber, on the master that owns the channel's slot: a message arrives once
        // (a second subscriber on another node would get it again over the cluster bus). Give a
        // second subscription, were there one, time to be confirmed.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const perNode = await counts();
        expect(perNode[ownerIndex]).toBe(1);
        expect(perNode.reduce((a, b) => a + b, 0)).toBe(1);
        await owner.publish(channel, "n/w");
        await eventually(async () => received.length > 0, 5_000, "the message arrives");
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(received).toEqual(["n/w"]);

        // The owner's connection is lost: the channel is subscribed through the Cluster as well,
        // and the listener is woken once that is confirmed (what was published meanwhile is lost).
        const list = String(await owner.call("CLIENT", "LIST", "TYPE", "pubsub"));
        const ids = list
          .split("\n")
          .filter((line) => line.includes(` name=${connectionName} `))
          .map((line) => /\bid=(\d+)/.exec(line)![1]!);
        expect(ids).toHaveLength(1);
        await owner.call("CLIENT", "KILL", "ID", ids[0]!);
        await eventually(async () => received.includes(undefined), 5_000, "the listener is woken");
        await eventually(
          async () => (await total()) === 2,
          5_000,
          "both subscriptions are confirmed",
        );
        const before = received.filter((m) => m === "n/w2").length;
        await owner.publish(channel, "n/w2");
        await eventually(
          async () => received.filter((m) => m === "n/w2").length > before,
          5_000,
          "the second message arrives",
        );
        subscription.stop();
      } finally {
        await subscriber.close();
        cluster.disconnect();
        for (const client of clients) client.disconnect();
      }
    },
    30_000,
  );
});

suite.each(drivers)("Redis Cluster with $name", ({ module, name }) => {
  const open = (options: object = {}) =>
    createRedisLockProvider({ cluster: startupNodes, ioredis: module, ...options });

  it("keeps the lock and fence keys of any key in one slot", async () => {
    for (const key of awkward) {
      const keys = redisLockKeys(key);
      const slots = await Promise.all(
        [keys.lock, keys.fence].map((k) => admin.call("CLUSTER", "KEYSLOT", k)),
      );
      expect(slots[0], key).toBe(slots[1]);
    }
    // Keys differing only in braces are distinct locks.
    expect(new Set(awkward.map((k) => redisLockKeys(k).lock)).size).toBe(awkward.length);
  });

  it("locks keys with braces on every master, with fencing", async () => {
    const locks = open();
    const other = open();
    const masters = new Set<string>();
    for (const raw of awkward) {
      const key = `${name}:${raw}`;
      const handle = await locks.getLock(key).acquire({ timeout: 5_000 });
      expect(handle.fencingToken).toBeTypeOf("bigint");
      expect(await other.getLock(key).tryAcquire()).toBeUndefined();
      await handle.release();
      const next = await other.getLock(key).tryAcquire();
      expect(next?.fencingToken).toBeGreaterThan(handle.fencingToken!);
      await next!.release();
      const slot = Number(
        await admin.call("CLUSTER", "KEYSLOT", redisLockKeys(backendKey("", key)).lock),
      );
      masters.add(await masterOf(slot));
    }
    expect(masters.size).toBe(3);
    await locks.close();
    await other.close();
  });

  it("falls back to EVAL after SCRIPT FLUSH on every master", async () => {
    const locks = open();
    const key = `${name}:flush`;
    await (await locks.getLock(key).acquire()).release();
    await Promise.all(
      nodes.map(async (node) => {
        const client = new Redis(node.url);
        await client.script("FLUSH");
        expect(await client.script("EXISTS", ACQUIRE.sha)).toEqual([0]);
        client.disconnect();
      }),
    );
    const handle = await locks.getLock(key).acquire();
    await handle.extend();
    await handle.release();
    await locks.close();
  });

  it("wakes waiters by pub/sub across nodes", async () => {
    const locks = open({ wait: { minDelay: 10_000, maxDelay: 10_000 } });
    const other = open({ wait: { minDelay: 10_000, maxDelay: 10_000 } });
    const key = `${name}:wake`;
    const holder = await locks.getLock(key).acquire();
    const waiting = other.getLock(key).acquire({ timeout: 8_000 });
    await new Promise((r) => setTimeout(r, 300)); // let the waiter subscribe
    const released = performance.now();
    await holder.release();
    const next = await waiting;
    expect(performance.now() - released).toBeLessThan(500);
    await next.release();
    await locks.close();
    await other.close();
  });

  it("never closes a Cluster it was given", async () => {
    const given = new (module.Cluster as unknown as typeof Cluster)(startupNodes);
    const locks = createRedisLockProvider({ cluster: given });
    expect(locks.topology).toBe("cluster");
    const handle = await locks.getLock(`${name}:given`).acquire();
    await handle.release();
    await locks.close();
    expect(await given.set(`${name}:still-open`, "1")).toBe("OK");
    given.disconnect();
  });
});

async function masterOf(slot: number): Promise<string> {
  const slots = (await admin.call("CLUSTER", "SLOTS")) as Array<[number, number, [string, number]]>;
  const range = slots.find(([from, to]) => slot >= from && slot <= to);
  return `${range![2][0]}:${range![2][1]}`;
}
