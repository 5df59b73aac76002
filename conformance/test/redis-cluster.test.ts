/**
 * The conformance suite against a 3-master Redis Cluster from `@locks/testing`, with
 * ioredis 5 (RESP2) and ioredis 6 (RESP3).
 * Lock and fence keys share a hash tag, so every operation is one script on one master.
 * With `LOCKS_CONFORMANCE_VARIANTS=one`, ioredis 6 only (the other Redis files run ioredis 5).
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { redisCluster, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import {
  createProvider,
  driverLabel,
  type RedisChildOptions,
  type RedisDriver,
  redisFaults,
} from "../providers/redis.js";
import { selectVariants } from "../variants.js";

const cluster = await redisCluster();

if (!cluster) {
  describe("redis (cluster)", () => {
    it("has a server to run against", (context) =>
      context.skip(`no Redis Cluster: ${unavailableReason("redis-cluster")}`));
  });
} else {
  const faults = redisFaults(cluster.nodes);
  afterAll(() => faults.close());
  const name = (driver: RedisDriver) =>
    `redis (cluster, 3 masters, ${cluster.mode}, ${driverLabel(driver)})`;
  for (const driver of selectVariants(["ioredis", "ioredis6"] as const, "ioredis6", name)) {
    const options: RedisChildOptions = {
      topology: "cluster",
      urls: cluster.nodes.map((n) => n.url),
      driver,
    };
    describeLockProvider({
      name: name(driver),
      createProvider: (o) => createProvider({ ...options, ...o }),
      faults,
      child: {
        module: fileURLToPath(new URL("../providers/redis.ts", import.meta.url)),
        options: { ...options },
      },
    });
  }
}
