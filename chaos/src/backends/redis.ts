/** Redis, one server: `CLIENT KILL` through `@locks/redis/faults`, resets and partitions through a proxy. */
import { createRedisLockProvider } from "@locks/redis";
import { createRedisFaults } from "@locks/redis/faults";
import { SERVER_FAULTS, serverBackend, testServers } from "./server-backend.js";

export const redis = serverBackend(
  {
    name: "redis",
    fencing: true,
    faults: { ...SERVER_FAULTS, restart: 20 },
    urls: "one",
    open([through = ""], direct, name) {
      const provider = createRedisLockProvider({ url: through, connectionName: name });
      const faults = createRedisFaults({ urls: [...direct] });
      return {
        provider,
        operator: { kill: () => faults.dropConnections(provider), close: () => faults.close() },
      };
    },
  },
  testServers("Redis", "redis", (servers) => servers.redisServer()),
);
