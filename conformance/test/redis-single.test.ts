/**
 * The conformance suite against one Redis server from `@locks/testing`, with ioredis 5 (RESP2)
 * and ioredis 6 (RESP3).
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { redisServer, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import { createProvider, type RedisChildOptions, redisFaults } from "../providers/redis.js";

const server = await redisServer();

if (!server) {
  describe("redis (single)", () => {
    it("has a server to run against", (context) =>
      context.skip(`no Redis server: ${unavailableReason("redis")}`));
  });
} else {
  const faults = redisFaults([server]);
  afterAll(() => faults.close());
  for (const driver of ["ioredis", "ioredis6"] as const) {
    const options: RedisChildOptions = { topology: "single", urls: [server.url], driver };
    describeLockProvider({
      name: `redis (single ${server.version ?? ""}, ${server.mode}, ${driver === "ioredis" ? "ioredis 5, RESP2" : "ioredis 6, RESP3"})`,
      createProvider: (o) => createProvider({ ...options, ...o }),
      faults,
      child: {
        module: fileURLToPath(new URL("../providers/redis.ts", import.meta.url)),
        options: { ...options },
      },
    });
  }
}
