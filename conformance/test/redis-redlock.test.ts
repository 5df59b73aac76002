/**
 * The conformance suite against Redlock over 3 and over 5 independent Redis servers from
 * `@locks/testing`, with ioredis 5 (RESP2) and ioredis 6 (RESP3). Fencing scenarios are skipped:
 * Redlock has no fencing tokens (see the @locks/redis README).
 *
 * Both sizes live in this one file on purpose: `redisServers(3)` is the first three servers of
 * the pool `redisServers(5)` returns, and the fault scenarios restart and pause them; two files
 * running in parallel would fault each other's servers.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { redisServers, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import { createProvider, type RedisChildOptions, redisFaults } from "../providers/redis.js";

const pool = await redisServers(5);

if (!pool) {
  describe("redis (redlock)", () => {
    it("has a server to run against", (context) =>
      context.skip(`no Redis servers: ${unavailableReason("redis-servers")}`));
  });
} else {
  for (const size of [3, 5]) {
    const servers = pool.slice(0, size);
    const faults = redisFaults(servers);
    afterAll(() => faults.close());
    for (const driver of ["ioredis", "ioredis6"] as const) {
      const options: RedisChildOptions = {
        topology: "redlock",
        urls: servers.map((s) => s.url),
        driver,
      };
      describeLockProvider({
        name: `redis (redlock, ${size} servers, ${servers[0]!.mode}, ${driver === "ioredis" ? "ioredis 5, RESP2" : "ioredis 6, RESP3"})`,
        createProvider: (o) => createProvider({ ...options, ...o }),
        faults,
        child: {
          module: fileURLToPath(new URL("../providers/redis.ts", import.meta.url)),
          options: { ...options },
        },
      });
    }
  }
}
