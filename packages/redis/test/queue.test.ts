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
});
