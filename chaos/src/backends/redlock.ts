/** Redlock over three independent Redis servers: faults as for one server, on all three. */
import { createRedisLockProvider } from "@locks/redis";
import { createRedisFaults } from "@locks/redis/faults";
import { SERVER_FAULTS, serverBackend, testServers } from "./server-backend.js";

export const redlock = serverBackend(
  {
    name: "redlock",
    fencing: false,
    faults: { ...SERVER_FAULTS, restart: 20 },
    urls: "three or more",
    open(through, direct, name) {
      const provider = createRedisLockProvider({ urls: [...through], connectionName: name });
      const faults = createRedisFaults({ urls: [...direct] });
      return {
        provider,
        operator: { kill: () => faults.dropConnections(provider), close: () => faults.close() },
      };
    },
  },
  testServers("Redis×3", "redis-servers", (servers) => servers.redisServers(3)),
);
