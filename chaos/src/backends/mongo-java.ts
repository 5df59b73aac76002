/**
 * mongo-java-server: `@locks/mongo`'s document protocol (the one a real MongoDB gets; FerretDB
 * gets the ledger) under the same faults as `mongo`. Over the mongodb 6 driver: the server
 * reports wire version 8, which the 7 driver refuses. Its restart loses every document (an
 * in-memory server): fencing tokens must still increase across it.
 */
import { createMongoLockProvider } from "@locks/mongo";
import type { MongoClient } from "mongodb";
import { MongoClient as MongoClient6 } from "mongodb6";
import { direct, mongo } from "./mongo.js";
import { serverBackend, testServers } from "./server-backend.js";

export const mongoJava = serverBackend(
  {
    name: "mongo-java",
    fencing: true,
    faults: mongo.faults,
    urls: "one",
    open([through = ""]) {
      // mongodb 6.22 leaves the 30 s server-selection timer of a retried operation running (the
      // 7 driver clears it), so after a restart a worker that is done could not exit for up to
      // 30 s, past the run's grace. A shorter selection timeout bounds that.
      const client = new MongoClient6(direct(through), { serverSelectionTimeoutMS: 5_000 });
      return {
        provider: createMongoLockProvider({
          client: client as unknown as MongoClient,
          database: "locks_chaos",
        }),
        close: () => client.close(),
      };
    },
  },
  testServers("mongo-java-server", "mongo-java", (servers) => servers.mongoJavaServer()),
);
