/**
 * MongoDB (or FerretDB): the driver has no per-client kill an operator could aim at one node,
 * so connection faults are TCP resets and partitions through the worker's proxy.
 */
import { createMongoLockProvider } from "@locks/mongo";
import { serverBackend, testServers } from "./server-backend.js";

export const mongo = serverBackend(
  {
    name: "mongo",
    fencing: true,
    faults: { pause: 4, stall: 8, overrun: 6, reset: 1, partition: 10, restart: 30, freeze: 25 },
    urls: "one",
    open([through = ""]) {
      // Through a proxy the driver must not follow the replica set's member list past it.
      const url = new URL(through);
      url.searchParams.set("directConnection", "true");
      return {
        provider: createMongoLockProvider({ url: url.toString(), database: "locks_chaos" }),
      };
    },
  },
  testServers(
    "MongoDB",
    "mongo",
    (servers) => servers.mongoServer(),
    (server) => (server.flavor === "ferretdb" ? "FerretDB" : "MongoDB"),
  ),
);
