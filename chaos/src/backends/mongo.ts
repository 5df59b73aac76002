/**
 * MongoDB (or FerretDB): the driver has no per-client kill an operator could aim at one node,
 * so connection faults are TCP resets and partitions through the worker's proxy.
 */
import { createMongoLockProvider } from "@locks/mongo";
import { proxied, proxyHooks } from "./proxy.js";
import { found, resolveServers } from "./servers.js";
import type { ChaosBackend } from "./types.js";

export const mongo: ChaosBackend = {
  name: "mongo",
  fencing: true,
  oneProcess: false,
  faults: { pause: 4, stall: 8, overrun: 6, reset: 1, partition: 10, restart: 30, freeze: 25 },
  servers: (request) =>
    resolveServers(request, "MongoDB", async () => {
      const server = await request.testServers.mongoServer();
      const label = server?.flavor === "ferretdb" ? "FerretDB" : "MongoDB";
      return found(server && [server], label, request.testServers.unavailableReason("mongo"));
    }),
  async connect(urls) {
    const url = urls[0];
    if (urls.length !== 1 || url === undefined) throw new TypeError("mongo needs one URL");
    const route = await proxied(url);
    // Through a proxy the driver must not follow the replica set's member list past it.
    const through = new URL(route.url);
    through.searchParams.set("directConnection", "true");
    const provider = createMongoLockProvider({ url: through.toString(), database: "locks_chaos" });
    const hooks = proxyHooks([route.proxy]);
    return {
      provider,
      ...hooks,
      async close() {
        await provider.close();
        await hooks.closeProxies();
      },
    };
  },
};
