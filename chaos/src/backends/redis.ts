/** Redis, one server: `CLIENT KILL` through `@locks/redis/faults`, resets and partitions through a proxy. */
import { createRedisLockProvider } from "@locks/redis";
import { createRedisFaults } from "@locks/redis/faults";
import { proxied, proxyHooks } from "./proxy.js";
import { found, resolveServers } from "./servers.js";
import type { ChaosBackend } from "./types.js";

export const redis: ChaosBackend = {
  name: "redis",
  fencing: true,
  oneProcess: false,
  faults: {
    pause: 4,
    stall: 8,
    overrun: 6,
    kill: 1,
    reset: 2,
    partition: 10,
    restart: 20,
    freeze: 25,
  },
  servers: (request) =>
    resolveServers(request, "Redis", async () =>
      found(
        await request.testServers.redisServer().then((s) => s && [s]),
        "Redis",
        request.testServers.unavailableReason("redis"),
      ),
    ),
  async connect(urls, name) {
    const url = urls[0];
    if (urls.length !== 1 || url === undefined) throw new TypeError("redis needs one URL");
    const route = await proxied(url);
    const provider = createRedisLockProvider({ url: route.url, connectionName: name });
    const faults = createRedisFaults({ urls: [url] });
    const hooks = proxyHooks([route.proxy]);
    return {
      provider,
      ...hooks,
      kill: () => faults.dropConnections(provider),
      async close() {
        await provider.close();
        await faults.close();
        await hooks.closeProxies();
      },
    };
  },
};
