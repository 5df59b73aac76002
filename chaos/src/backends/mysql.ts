/** MySQL/MariaDB: `KILL` through `@locks/mysql/faults`, resets and partitions through a proxy. */
import { createMySqlLockProvider } from "@locks/mysql";
import { createMySqlFaults } from "@locks/mysql/faults";
import { proxied, proxyHooks } from "./proxy.js";
import { found, resolveServers } from "./servers.js";
import type { ChaosBackend } from "./types.js";

export const mysql: ChaosBackend = {
  name: "mysql",
  fencing: true,
  oneProcess: false,
  faults: {
    pause: 4,
    stall: 8,
    overrun: 6,
    kill: 1,
    reset: 2,
    partition: 10,
    restart: 40,
    freeze: 25,
  },
  servers: (request) =>
    resolveServers(request, "MySQL/MariaDB", async () => {
      const server = await request.testServers.mysqlServer();
      const label = server?.flavor === "mariadb" ? "MariaDB" : "MySQL";
      return found(server && [server], label, request.testServers.unavailableReason("mysql"));
    }),
  async connect(urls) {
    const url = urls[0];
    if (urls.length !== 1 || url === undefined) throw new TypeError("mysql needs one URL");
    const route = await proxied(url);
    const provider = createMySqlLockProvider({ url: route.url });
    const faults = createMySqlFaults({ url });
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
