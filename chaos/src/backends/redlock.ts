/** Redlock over three independent Redis servers: faults as for one server, on all three. */
import { createRedisLockProvider } from "@locks/redis";
import { createRedisFaults } from "@locks/redis/faults";
import { proxied, proxyHooks } from "./proxy.js";
import { found, resolveServers } from "./servers.js";
import type { ChaosBackend } from "./types.js";

export const redlock: ChaosBackend = {
  name: "redlock",
  fencing: false,
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
    resolveServers(request, "Redis×3", async () =>
      found(
        await request.testServers.redisServers(3),
        "Redis×3",
        request.testServers.unavailableReason("redis-servers"),
      ),
    ),
  async connect(urls, name) {
    if (urls.length < 3) throw new TypeError("redlock needs three or more URLs");
    const routes = await Promise.all(urls.map(proxied));
    const provider = createRedisLockProvider({
      urls: routes.map((r) => r.url),
      connectionName: name,
    });
    const faults = createRedisFaults({ urls });
    const hooks = proxyHooks(routes.map((r) => r.proxy));
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
