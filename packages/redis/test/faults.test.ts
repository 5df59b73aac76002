import { redisServer, unavailableReason } from "@locks/testing";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createRedisFaults } from "../src/faults.js";
import { createRedisLockProvider } from "../src/index.js";

const server = await redisServer();

if (!server) {
  describe("@locks/redis/faults", () => {
    it.skip(`no Redis server: ${unavailableReason("redis")}`, () => {});
  });
} else {
  const faults = createRedisFaults({ urls: [server.url] });
  afterAll(() => faults.close());

  describe("@locks/redis/faults", () => {
    it("breakLock deletes the lock behind the holder, who then reports it lost", async () => {
      const locks = createRedisLockProvider({ url: server.url, prefix: "faults:" });
      const handle = await locks.getLock("break").acquire();
      await faults.breakLock("break", "faults:");
      await expect(handle.extend()).rejects.toMatchObject({ name: "LockLostError" });
      expect(handle.lost).toBe(true);
      await locks.close();
    });

    it("dropConnections kills the provider's connections, which reconnect", async () => {
      const admin = new Redis(server.url);
      const ids = async (name: string) =>
        String(await admin.call("CLIENT", "LIST"))
          .split("\n")
          .filter((line) => line.includes(` name=${name} `))
          .map((line) => /\bid=(\d+)/.exec(line)?.[1]);
      const locks = createRedisLockProvider({ url: server.url });
      const handle = await locks.getLock("drop").acquire();
      const before = await ids(locks.connectionName);
      expect(before.length).toBeGreaterThanOrEqual(1);
      await faults.dropConnections(locks);
      await handle.extend(); // the lease survived; the client reconnected
      const after = await ids(locks.connectionName);
      expect(after.length).toBeGreaterThanOrEqual(1);
      expect(after.filter((id) => before.includes(id))).toEqual([]);
      await handle.release();
      await locks.close();
      admin.disconnect();
      await expect(faults.dropConnections({} as never)).rejects.toThrow(TypeError);
    });
  });
}
