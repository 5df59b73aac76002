/**
 * The conformance suite against Redlock over 5 independent Redis servers from `@locks/testing`
 * with ioredis 5 (RESP2) and ioredis 6 (RESP3). Fencing scenarios are skipped: Redlock has no fencing tokens.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { redisServers, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import { createProvider, type RedisChildOptions, redisFaults } from "../providers/redis.js";

const servers = await redisServers(5);

if (!servers) {
  describe("redis (redlock, 5 servers)", () => {
    it.skip(`no Redis servers: ${unavailableReason("redis-servers")}`, () => {});
  });
} else {
  const faults = redisFaults(servers);
  afterAll(() => faults.close());
  for (const driver of ["ioredis", "ioredis6"] as const) {
    const options: RedisChildOptions = {
      topology: "redlock",
      urls: servers.map((s) => s.url),
      driver,
    };
    describeLockProvider({
      name: `redis (redlock, 5 servers, ${servers[0]!.mode}, ${driver === "ioredis" ? "ioredis 5, RESP2" : "ioredis 6, RESP3"})`,
      createProvider: (o) => createProvider({ ...options, ...o }),
      faults,
      child: {
        module: fileURLToPath(new URL("../providers/redis.ts", import.meta.url)),
        options: { ...options },
      },
    });
  }
}
