import { redisServer, startTcpProxy, type TestServer, unavailableReason } from "@locks/testing";
import { describe, expect, it } from "vitest";
import { createRedisLockProvider } from "../src/index.js";

const found = await redisServer();
const server = found as TestServer;
const suite = found ? describe : describe.skip;
if (!found) {
  describe("during a server outage", () => {
    it.skip(`no Redis server: ${unavailableReason("redis")}`, () => {});
  });
}

suite("during a server outage", () => {
  it("release() of a handle lost in the outage returns within releaseTimeout, not ioredis's ~15 s of retries", async () => {
    const target = new URL(server.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const locks = createRedisLockProvider({
      url: `redis://${proxy.host}:${proxy.port}`,
      ttl: 600,
      releaseTimeout: 500,
    });
    try {
      const handle = await locks.getLock(`outage:${Date.now()}`).acquire();
      // The server becomes unreachable: connections drop, new ones are refused.
      await proxy.close();
      const lost = new Promise<void>((resolve) =>
        handle.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      await lost; // the lease ran out while renewals could not get through
      const started = performance.now();
      await handle.release();
      const took = performance.now() - started;
      // 500 ms bound plus scheduling slack; without the bound this took 15–17 s.
      expect(took).toBeLessThan(2_000);
    } finally {
      await locks.close();
    }
  }, 30_000);

  it("release() of a held handle during an outage rejects after releaseTimeout instead of hanging", async () => {
    const target = new URL(server.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const locks = createRedisLockProvider({
      url: `redis://${proxy.host}:${proxy.port}`,
      releaseTimeout: 500,
    });
    try {
      const handle = await locks.getLock(`outage-held:${Date.now()}`).acquire();
      await proxy.close();
      const started = performance.now();
      await expect(handle.release()).rejects.toMatchObject({
        name: "LockBackendError",
        cause: { name: "RedisNoAnswerError" },
      });
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await locks.close();
    }
  }, 30_000);
});
