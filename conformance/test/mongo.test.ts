/**
 * The conformance suite against MongoDB (or FerretDB, on machines without mongod) from
 * `@locks/testing`. Every provider connects through a loopback TCP proxy so that
 * `dropConnections` can cut its connections on any server; restart and pause use the test
 * server's own controls.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { createMongoLockProvider, type MongoLockProvider } from "@locks/mongo";
import { mongoServer, serverFaults, startTcpProxy, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import type { MongoChildOptions } from "../providers/mongo.js";

const server = await mongoServer();

if (!server) {
  describe("mongo", () => {
    it("has a server to run against", (context) =>
      context.skip(`no MongoDB-compatible server: ${unavailableReason("mongo")}`));
  });
} else {
  const proxy = await startTcpProxy({ host: server.host, port: server.port });
  // directConnection: talk to the proxy only, not to the members a replica set advertises.
  const url = `mongodb://${proxy.host}:${proxy.port}/?directConnection=true`;
  const database = `locks_conformance_${process.pid}`;
  // A provider of the same protocol as the ones under test, straight to the server (not through
  // the proxy), for the operator's side of faults and the clean-up.
  const operator = createMongoLockProvider({
    url: server.url,
    database,
    clientOptions: { serverSelectionTimeoutMS: 10_000 },
  });

  afterAll(async () => {
    await operator.client
      .db(database)
      .dropDatabase()
      .catch(() => {});
    await operator.close();
    await proxy.close();
  });

  const faults = {
    /** Frees the key behind the holder's back; the fencing counter stays. */
    async breakLock(key: string) {
      await operator.forceRelease(key);
    },
    async dropConnections() {
      proxy.dropConnections();
    },
    ...serverFaults(server, { proxy }),
  };

  const variants: Array<{ label: string; options: Omit<MongoChildOptions, "url" | "database"> }> = [
    { label: "auto", options: {} },
  ];
  // On FerretDB "auto" already is the ledger protocol on the clock offset with polling (the only
  // safe combination there); on MongoDB run those paths as well.
  if (server.flavor === "mongodb") {
    variants.push(
      { label: "offset clock, polling", options: { timeSource: "offset", changeStream: false } },
      { label: "ledger protocol", options: { protocol: "ledger" } },
    );
  }

  for (const variant of variants) {
    describeLockProvider({
      name: `mongo (${server.flavor} ${server.version ?? ""}, ${server.mode}, ${variant.label})`,
      async createProvider(options): Promise<MongoLockProvider> {
        const provider = createMongoLockProvider({
          url,
          database,
          ...variant.options,
          ...(options?.prefix === undefined ? {} : { prefix: options.prefix }),
          clientOptions: { maxPoolSize: 10, serverSelectionTimeoutMS: 10_000 },
        });
        await provider.ready();
        return provider;
      },
      faults,
      // FerretDB keeps data in SQLite behind a proxy and the ledger renews with two round trips;
      // a renewal answered after the previous lease's deadline is (rightly) a loss, so leases of
      // 300 ms lose locks whenever this 2-core machine stalls for 200 ms.
      ...(server.flavor === "ferretdb" ? { minTtl: 600 } : {}),
      child: {
        module: fileURLToPath(new URL("../providers/mongo.ts", import.meta.url)),
        options: { url, database, ...variant.options },
      },
    });
  }
}
