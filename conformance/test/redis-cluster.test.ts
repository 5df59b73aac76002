/**
 * The conformance suite against a 3-master Redis Cluster from `@locks/testing` (ioredis 5).
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
    it.skip(`no Redis Cluster: ${unavailableReason("redis-cluster")}`, () => {});
  });
} else {
  const faults = redisFaults(cluster.nodes);
  afterAll(() => faults.close());
  const options: RedisChildOptions = { topology: "cluster", urls: cluster.nodes.map((n) => n.url) };
  describeLockProvider({
    name: `redis (cluster, 3 masters, ${cluster.mode})`,
    createProvider: (o) => createProvider({ ...options, ...o }),
    faults,
    child: {
      module: fileURLToPath(new URL("../providers/redis.ts", import.meta.url)),
      options: { ...options },
    },
  });
}
