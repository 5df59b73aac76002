import { backendKey } from "@locks/core/backend";
import { redisServer, type TestServer, unavailableReason } from "@locks/testing";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createRedisLockProvider, redisLockKeys } from "../src/index.js";

const found = await redisServer();
const server = found as TestServer;
const suite = found ? describe : describe.skip;
if (!found) {
  describe("queue of waiting nodes", () => {
    it.skip(`no Redis server: ${unavailableReason("redis")}`, () => {});
  });
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
      const until = async (what: () => Promise<boolean>) => {
        const deadline = Date.now() + 5_000;
        while (!(await what()) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      const holder = await providers[0]!.getLock(key).acquire();
      const first = providers[1]!.getLock(key).acquire();
      await until(async () => (await admin.zcard(names.queue)) === 1);
      const second = providers[2]!.getLock(key).acquire();
      await until(async () => (await admin.zcard(names.queue)) === 2);
      const [headId] = await admin.zrange(names.queue, 0, 0);

      await holder.release();
      const firstHandle = await first;
      await until(async () => messages.length >= 1);
      // One message, on the channel of the head's provider only, naming the head's entry.
      expect(messages).toHaveLength(1);
      const [channel, message] = messages[0]!;
      const node = channel.slice(`${names.channel}:`.length);
      expect(channel.startsWith(`${names.channel}:`) && node.length > 0).toBe(true);
      expect(message).toBe(headId);
      expect(message.startsWith(`${node}/`)).toBe(true);

      await firstHandle.release();
      const secondHandle = await second;
      await until(async () => messages.length >= 2);
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
});
