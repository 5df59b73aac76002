/**
 * The conformance suite against a 3-master Redis Cluster from `@locks/testing`, with
 * ioredis 5 (RESP2) and ioredis 6 (RESP3).
 * Lock and fence keys share a hash tag, so every operation is one script on one master.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { redisCluster, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import { createProvider, type RedisChildOptions, redisFaults } from "../providers/redis.js";

const cluster = await redisCluster();

if (!cluster) {
  describe("redis (cluster)", () => {
    it("has a server to run against", (context) =>
      context.skip(`no Redis Cluster: ${unavailableReason("redis-cluster")}`));
  });
} else {
  const faults = redisFaults(cluster.nodes);
  afterAll(() => faults.close());
  for (const driver of ["ioredis", "ioredis6"] as const) {
    const options: RedisChildOptions = {
      topology: "cluster",
      urls: cluster.nodes.map((n) => n.url),
      driver,
    };
    describeLockProvider({
      name: `redis (cluster, 3 masters, ${cluster.mode}, ${driver === "ioredis" ? "ioredis 5, RESP2" : "ioredis 6, RESP3"})`,
      createProvider: (o) => createProvider({ ...options, ...o }),
      faults,
      child: {
        module: fileURLToPath(new URL("../providers/redis.ts", import.meta.url)),
        options: { ...options },
      },
    });
  }
}
