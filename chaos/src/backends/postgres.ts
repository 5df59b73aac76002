/** PostgreSQL: `pg_terminate_backend` through `@locks/postgres/faults`, resets and partitions through a proxy. */
import { createPostgresLockProvider } from "@locks/postgres";
import { createPostgresFaults } from "@locks/postgres/faults";
import { proxied, proxyHooks } from "./proxy.js";
import { found, resolveServers } from "./servers.js";
import type { ChaosBackend } from "./types.js";

export const postgres: ChaosBackend = {
  name: "postgres",
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
    resolveServers(request, "PostgreSQL", async () => {
      const server = await request.testServers.postgresServer();
      return found(
        server && [server],
        "PostgreSQL",
        request.testServers.unavailableReason("postgres"),
      );
    }),
  async connect(urls) {
    const url = urls[0];
    if (urls.length !== 1 || url === undefined) throw new TypeError("postgres needs one URL");
    const route = await proxied(url);
    const provider = createPostgresLockProvider({ connectionString: route.url });
    const faults = createPostgresFaults({ connectionString: url });
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
