/**
 * MongoDB (or FerretDB): the driver has no per-client kill an operator could aim at one node,
 * so connection faults are TCP resets and partitions through the worker's proxy.
 */
import { createMongoLockProvider } from "@locks/mongo";
import { serverBackend, testServers } from "./server-backend.js";

/**
 * `url` with `directConnection`: through a proxy, the driver must not follow the replica set's
 * member list past it.
 */
export function direct(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("directConnection", "true");
  return parsed.toString();
}

export const mongo = serverBackend(
  {
    name: "mongo",
    fencing: true,
    faults: { pause: 4, stall: 8, overrun: 6, reset: 1, partition: 10, restart: 30, freeze: 25 },
    urls: "one",
    open([through = ""]) {
      return {
        provider: createMongoLockProvider({ url: direct(through), database: "locks_chaos" }),
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
