import { backendKey } from "@locks/core/backend";
import { eventually, redisServer, type TestServer, unavailableReason } from "@locks/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { runScript } from "../src/connection.js";
import { createRedisLockProvider, type RedisLockKeys, redisLockKeys } from "../src/index.js";
import { ACQUIRE, LEAVE_QUEUE, RELEASE_TO_HEAD } from "../src/scripts.lua.js";

const found = await redisServer();
const server = found as TestServer;
const suite = found ? describe : describe.skip;
if (!found) {
  describe("queue of waiting nodes", () => {
    it.skip(`no Redis server: ${unavailableReason("redis")}`, () => {});
  });
}

/** The server's clock in ms, as the queue scripts read it. */
async function serverMs(admin: Redis): Promise<number> {
  const [seconds, micros] = await admin.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

/** Resolves once some node is queued for the key and some provider listens on its channels. */
async function untilQueuedAndListening(admin: Redis, names: RedisLockKeys): Promise<void> {
  while (
    (await admin.zcard(names.queue)) === 0 ||
    (await admin.pubsub("CHANNELS", `${names.channel}:*`)).length === 0
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

type Provider = ReturnType<typeof createRedisLockProvider>;

/**
 * `holder` takes a fresh key named after `name`, and `waiter` waits for it (up to 8 s); resolves
 * once the waiter is queued and its provider listens.
 */
async function holdAndQueue(admin: Redis, holder: Provider, waiter: Provider, name: string) {
  const key = `${name}:${Date.now()}`;
  const names = redisLockKeys(backendKey("", key));
  const held = await holder.getLock(key).acquire();
  const waiting = waiter.getLock(key).acquire({ timeout: 8_000 });
  await untilQueuedAndListening(admin, names);
  return { key, names, holder: held, waiting };
}

/** Sends `client`'s acquire-script calls through `intercept` (given the real send), the rest as is. */
function interceptAcquire(
  client: Redis,
  intercept: (send: () => Promise<unknown>) => Promise<unknown>,
): void {
  const send = client.call.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { call: typeof send }).call = (...args: unknown[]) =>
    args[0] === "evalsha" && args[1] === ACQUIRE.sha
      ? intercept(() => send(...args))
      : send(...args);
}

/** The validity (ms) the backend gave with a handle's lease. */
function validityOf(handle: object): number {
  return (handle as { lease: { validity: number } }).lease.validity;
}

suite("queue of waiting nodes", () => {
  it("queues each waiting node once, removes an aborted one at once, and leaves nothing behind", async () => {
    const admin = new Redis(server.url);
    const providers = Array.from({ length: 3 }, () => createRedisLockProvider({ url: server.url }));
    try {
      const key = `queue:${Date.now()}`;
      // Core maps (prefix, key) to the backend key; no prefix here.
      const names = redisLockKeys(backendKey("", key));
      const holder = await providers[0]!.getLock(key).acquire();
      const controller = new AbortController();
      const waiting = providers[1]!.getLock(key).acquire({ signal: controller.signal });
      waiting.catch(() => {});
      const second = providers[2]!.getLock(key).acquire();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await admin.zcard(names.queue)).toBe(2);
      const ttl = await admin.pttl(names.queue);
      expect(ttl).toBeGreaterThan(0); // the queue keys expire with their longest entry
      controller.abort(new Error("cancelled"));
      await expect(waiting).rejects.toThrow("cancelled");
      expect(await admin.zcard(names.queue)).toBe(1);
      await holder.release();
      const handle = await second;
      expect(await admin.zcard(names.queue)).toBe(0);
      expect(await admin.exists(names.queueExpiry)).toBe(0);
      await handle.release();
    } finally {
      admin.disconnect();
      await Promise.all(providers.map((p) => p.close()));
    }
  }, 30_000);

  it("wakes only the provider at the head of the queue on each release", async () => {
    const admin = new Redis(server.url);
    const listener = new Redis(server.url);
    const providers = Array.from({ length: 3 }, () => createRedisLockProvider({ url: server.url }));
    try {
      const key = `queue-notify:${Date.now()}`;
      const names = redisLockKeys(backendKey("", key));
      const messages: Array<[string, string]> = [];
      listener.on("pmessage", (_pattern: string, channel: string, message: string) => {
        messages.push([channel, message]);
      });
      await listener.psubscribe(`${names.channel}*`);
      const holder = await providers[0]!.getLock(key).acquire();
      const first = providers[1]!.getLock(key).acquire();
      await eventually(async () => (await admin.zcard(names.queue)) === 1, 5_000, "one queued");
      const second = providers[2]!.getLock(key).acquire();
      await eventually(async () => (await admin.zcard(names.queue)) === 2, 5_000, "two queued");
      const [headId] = await admin.zrange(names.queue, 0, 0);

      await holder.release();
      const firstHandle = await first;
      await eventually(async () => messages.length >= 1, 5_000, "the first message");
      // One message, on the channel of the head's provider only, naming the head's entry.
      expect(messages).toHaveLength(1);
      const [channel, message] = messages[0]!;
      const node = channel.slice(`${names.channel}:`.length);
      expect(channel.startsWith(`${names.channel}:`) && node.length > 0).toBe(true);
      // The release handed the key to the head: the message names its entry and fencing token.
      expect(message).toBe(`${headId} ${firstHandle.fencingToken}`);
      expect(message.startsWith(`${node}/`)).toBe(true);

      await firstHandle.release();
      const secondHandle = await second;
      await eventually(async () => messages.length >= 2, 5_000, "the second message");
      expect(messages).toHaveLength(2);
      expect(messages[1]![0]).not.toBe(channel); // another provider's channel
      // Nobody queued: the last release announces nothing.
      await secondHandle.release();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(messages).toHaveLength(2);
    } finally {
      admin.disconnect();
      listener.disconnect();
      await Promise.all(providers.map((p) => p.close()));
    }
  }, 30_000);

  it("hands a released key to the head of the queue, which takes it without asking again", async () => {
    const admin = new Redis(server.url);
    // Polling every 10 s: only the hand-over can give the waiter the key quickly.
    const slow = { wait: { minDelay: 10_000, maxDelay: 10_000 } };
    const providers = [
      createRedisLockProvider({ url: server.url }),
      createRedisLockProvider({ url: server.url, ...slow }),
    ];
    try {
      const { names, holder, waiting } = await holdAndQueue(
        admin,
        providers[0]!,
        providers[1]!,
        "queue-handover",
      );
      // Queued and subscribed; then 100 ms for the attempt a waiter makes once subscribed (had
      // the release come first, that attempt would have found the key handed to it, and taken it).
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [headId] = await admin.zrange(names.queue, 0, 0);
      const released = performance.now();
      await holder.release();
      // The release itself granted the key to the head's entry, for at most the entry's lifetime
      // (3 s by default), not the waiter's 30 s ttl.
      expect(await admin.get(names.lock)).toBe(headId);
      const pttl = await admin.pttl(names.lock);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(3_000);
      expect(await admin.zcard(names.queue)).toBe(0);
      const handle = await waiting;
      expect(performance.now() - released).toBeLessThan(1_000);
      expect(handle.fencingToken).toBe(BigInt((await admin.get(names.fence))!));
      expect(handle.fencingToken! > holder.fencingToken!).toBe(true);
      // The hand-over lease is renewed to the ttl once a third of it has passed.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(handle.lost).toBe(false);
      expect(await admin.get(names.lock)).toBe(headId);
      expect(await admin.pttl(names.lock)).toBeGreaterThan(20_000);
      await handle.release();
      expect(await admin.exists(names.lock)).toBe(0);
    } finally {
      admin.disconnect();
      await Promise.all(providers.map((p) => p.close()));
    }
  }, 30_000);

  it("trusts a hand-over from the last attempt the server answered, not from one that failed", async () => {
    const admin = new Redis(server.url);
    const client = new Redis(server.url);
    // The waiter's next ACQUIRE fails as if the connection dropped before the server saw it.
    let failNext = false;
    interceptAcquire(client, (send) => {
      if (!failNext) return send();
      failNext = false;
      return Promise.reject(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    });
    const holderProvider = createRedisLockProvider({ url: server.url });
    const waiterProvider = createRedisLockProvider({
      client,
      wait: { minDelay: 10_000, maxDelay: 10_000 },
    });
    try {
      const { names, holder, waiting } = await holdAndQueue(
        admin,
        holderProvider,
        waiterProvider,
        "queue-failed-attempt",
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answered = performance.now(); // the waiter's last answered attempt was before this
      failNext = true;
      // Its next attempt comes a third of the entry ttl (1 s) later, and fails.
      while (failNext) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [headId] = await admin.zrange(names.queue, 0, 0);
      await holder.release();
      expect(await admin.get(names.lock)).toBe(headId);
      const handle = await waiting;
      const validity = validityOf(handle);
      // Counted from the failed attempt it would be about 2.7 s; from the answered one, at most
      // 3 s minus the time since `answered` (over 1.3 s; 200 ms of slack for this check itself).
      expect(validity).toBeLessThan(3_000 - (performance.now() - answered) + 200);
      expect(validity).toBeGreaterThan(0);
      await handle.release();
    } finally {
      admin.disconnect();
      await holderProvider.close();
      await waiterProvider.close();
      client.disconnect();
    }
  }, 30_000);

  it("takes a hand-over announced before the answer of the attempt that queued it", async () => {
    const admin = new Redis(server.url);
    const client = new Redis(server.url);
    // One ACQUIRE of the waiter reaches the server and is answered (key taken), but the answer is
    // held back until the release has handed the key over and its message has arrived.
    let holdNext = false;
    let sentAt = 0;
    let answer: (() => void) | undefined;
    const held = new Promise<unknown>((resolveHeld) => {
      interceptAcquire(client, async (send) => {
        if (!holdNext) return send();
        holdNext = false;
        sentAt = performance.now();
        const reply = await send();
        resolveHeld(reply);
        await new Promise<void>((deliver) => {
          answer = deliver;
        });
        return reply;
      });
    });
    const holderProvider = createRedisLockProvider({ url: server.url });
    const waiterProvider = createRedisLockProvider({
      client,
      wait: { minDelay: 10_000, maxDelay: 10_000 },
    });
    const other = createRedisLockProvider({ url: server.url });
    try {
      const { key, names, holder, waiting } = await holdAndQueue(
        admin,
        holderProvider,
        waiterProvider,
        "queue-early-message",
      );
      holdNext = true;
      // The waiter's next attempt (a third of the entry ttl after its last one) is answered 0.
      expect(Number(await held)).toBe(0);
      const [headId] = await admin.zrange(names.queue, 0, 0);
      await holder.release();
      expect(await admin.get(names.lock)).toBe(headId);
      const fence = BigInt((await admin.get(names.fence))!);
      // Time for the message to arrive while the answer is still held back; nobody else gets in.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await other.getLock(key).tryAcquire()).toBeUndefined();
      const answeredAt = performance.now();
      answer?.();
      const handle = await waiting;
      // The message's wake-up, which came while the attempt was in flight, is not lost: the
      // waiter does not sleep until its next attempt (a second later) to take the key.
      expect(performance.now() - answeredAt).toBeLessThan(500);
      expect(handle.fencingToken).toBe(fence);
      // Trusted from the send time of the held attempt: at most 3 s from then.
      const validity = validityOf(handle);
      expect(validity).toBeGreaterThan(0);
      expect(validity).toBeLessThan(3_000 - (performance.now() - sentAt) + 50);
      expect(await other.getLock(key).tryAcquire()).toBeUndefined();
      await handle.release();
      expect(await admin.exists(names.lock)).toBe(0);
    } finally {
      admin.disconnect();
      await Promise.all([holderProvider.close(), waiterProvider.close(), other.close()]);
      client.disconnect();
    }
  }, 30_000);

  it("a waiter that died at the head holds a handed-over key no longer than its entry lived", async () => {
    const admin = new Redis(server.url);
    const providers = [
      createRedisLockProvider({ url: server.url }),
      createRedisLockProvider({ url: server.url }),
    ];
    try {
      const key = `queue-dead-head:${Date.now()}`;
      const names = redisLockKeys(backendKey("", key));
      const holder = await providers[0]!.getLock(key).acquire();
      // A dead node's entry, first in the queue, asking for a 30 s lease, 700 ms left to live.
      const dead = "deadnode00000000/00000000-0000-4000-8000-000000000000/30000";
      const nowMs = await serverMs(admin);
      await admin.zadd(names.queue, 1, dead);
      await admin.zadd(names.queueExpiry, nowMs + 700, dead);
      const waiting = providers[1]!.getLock(key).acquire({ timeout: 8_000 });
      while ((await admin.zcard(names.queue)) < 2) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const released = performance.now();
      await holder.release();
      expect(await admin.get(names.lock)).toBe(dead);
      expect(await admin.pttl(names.lock)).toBeLessThanOrEqual(700);
      const handle = await waiting;
      const waited = performance.now() - released;
      // Until the dead entry's lease ends (≤ 700 ms), then at most one polling interval (1 s).
      expect(waited).toBeGreaterThan(400);
      expect(waited).toBeLessThan(2_200);
      await handle.release();
    } finally {
      admin.disconnect();
      await Promise.all(providers.map((p) => p.close()));
    }
  }, 30_000);

  describe("scripts", () => {
    /** Names of a fresh key, and the server's time in ms. */
    async function fresh(admin: Redis, name: string) {
      const names = redisLockKeys(`${name}:${Date.now()}:${Math.random()}`);
      return { names, nowMs: await serverMs(admin) };
    }

    it("a wait that leaves after the key was handed to it passes the key on to the next", async () => {
      const admin = new Redis(server.url);
      const listener = new Redis(server.url);
      try {
        const { names, nowMs } = await fresh(admin, "leave-handed");
        const left = "nodeA/11111111-1111-4111-8111-111111111111/5000";
        const next = "nodeB/22222222-2222-4222-8222-222222222222/5000";
        await admin.set(names.lock, left, "PX", 5_000);
        await admin.zadd(names.queue, 2, next);
        await admin.zadd(names.queueExpiry, nowMs + 3_000, next);
        const messages: string[] = [];
        listener.on("message", (_channel: string, message: string) => messages.push(message));
        await listener.subscribe(`${names.channel}:nodeB`);
        await runScript(
          admin,
          LEAVE_QUEUE,
          [names.lock, names.fence, names.queue, names.queueExpiry],
          [left, names.channel],
        );
        expect(await admin.get(names.lock)).toBe(next);
        expect(await admin.pttl(names.lock)).toBeLessThanOrEqual(3_000);
        expect(await admin.zcard(names.queue)).toBe(0);
        const fence = await admin.get(names.fence);
        while (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        expect(messages).toEqual([`${next} ${fence}`]);
      } finally {
        admin.disconnect();
        listener.disconnect();
      }
    });

    it("a waiter that missed its hand-over message takes the key at its next attempt", async () => {
      const admin = new Redis(server.url);
      try {
        const { names } = await fresh(admin, "missed-handover");
        const entry = "nodeA/33333333-3333-4333-8333-333333333333/3000";
        await admin.set(names.fence, "123456");
        await admin.set(names.lock, entry, "PX", 2_000);
        const keys = [names.lock, names.fence, names.queue, names.queueExpiry];
        // Another node's attempt, and a wait that is not the one handed the key, are refused.
        expect(await runScript(admin, ACQUIRE, keys, ["other", 30_000, "", 0])).toBe(0);
        expect(await runScript(admin, ACQUIRE, keys, ["other", 30_000, `${entry}x`, 3_000])).toBe(
          0,
        );
        const reply = await runScript(admin, ACQUIRE, keys, ["mine", 30_000, entry, 3_000]);
        expect(String(reply)).toBe("123456"); // the hand-over's fencing token, not a new one
        expect(await admin.get(names.lock)).toBe("mine");
        expect(await admin.pttl(names.lock)).toBeGreaterThan(29_000);
      } finally {
        admin.disconnect();
      }
    });

    it("an entry without a lease length is told it heads the queue, not handed the key", async () => {
      const admin = new Redis(server.url);
      const listener = new Redis(server.url);
      try {
        const { names, nowMs } = await fresh(admin, "entry-without-length");
        const entry = "nodeC/44444444-4444-4444-8444-444444444444";
        await admin.set(names.lock, "holder", "PX", 5_000);
        await admin.zadd(names.queue, 1, entry);
        await admin.zadd(names.queueExpiry, nowMs + 3_000, entry);
        const messages: string[] = [];
        listener.on("message", (_channel: string, message: string) => messages.push(message));
        await listener.subscribe(`${names.channel}:nodeC`);
        const keys = [names.lock, names.fence, names.queue, names.queueExpiry];
        expect(await runScript(admin, RELEASE_TO_HEAD, keys, ["holder", names.channel])).toBe(1);
        expect(await admin.exists(names.lock)).toBe(0);
        expect(await admin.zcard(names.queue)).toBe(1);
        while (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        expect(messages).toEqual([entry]);
      } finally {
        admin.disconnect();
        listener.disconnect();
      }
    });
  });
});
