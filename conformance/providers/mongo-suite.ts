/**
 * The conformance suite against one MongoDB-wire test server, in every variant that server can
 * run. Every provider connects through a loopback TCP proxy of its own (in front of one shared
 * proxy) so that `dropConnections` and `partition` can cut one node off on any server; `breakLock` is `@locks/mongo/faults`, restart and pause are
 * `serverFaults` of `@locks/testing` (the server's own controls, else the proxy's pause).
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import type { MongoLockProvider } from "@locks/mongo";
import { createMongoFaults } from "@locks/mongo/faults";
import {
  type MongoTestServer,
  providerProxies,
  serverFaults,
  startTcpProxy,
  type TcpProxy,
} from "@locks/testing";
import type { MongoClient } from "mongodb";
import { MongoClient as MongoClient6 } from "mongodb6";
import { afterAll } from "vitest";
import { selectVariants } from "../variants.js";
import { createProvider, type MongoChildOptions } from "./mongo.js";

type Variant = { label: string; options: Omit<MongoChildOptions, "url" | "database" | "driver"> };

/** Which variants a server runs: "auto" (what its detection picks) and the forced fallbacks. */
function variantsOf(server: MongoTestServer): Variant[] {
  const auto = { label: "auto", options: {} };
  switch (server.flavor) {
    // "auto" already is the ledger protocol on the clock offset with polling (the only safe
    // combination there).
    case "ferretdb":
      return [auto];
    // "auto" is the document protocol on the clock offset, polling once the provider gives up
    // the change stream (the server answers its idle reads at once; the package tests assert
    // exactly this); require the stream (paced reads), and force the ledger as well.
    case "mongo-java-server":
      return [
        auto,
        {
          label: "document, change stream",
          options: { protocol: "document", changeStream: true },
        },
        { label: "ledger protocol", options: { protocol: "ledger" } },
      ];
    case "mongodb":
      return [
        auto,
        { label: "offset clock, polling", options: { timeSource: "offset", changeStream: false } },
        { label: "ledger protocol", options: { protocol: "ledger" } },
      ];
  }
}

/** Registers the suite for `server`, one `describeLockProvider` per variant. */
export async function describeMongoSuite(server: MongoTestServer): Promise<void> {
  const proxy = await startTcpProxy({ host: server.host, port: server.port });
  // directConnection: talk to the proxy only, not to the members a replica set advertises.
  const urlOf = (p: TcpProxy) => `mongodb://${p.host}:${p.port}/?directConnection=true`;
  const url = urlOf(proxy);
  const proxies = providerProxies<MongoLockProvider>(proxy);
  const database = `locks_conformance_${server.flavor.replace(/\W/g, "_")}_${process.pid}`;
  const driver = server.flavor === "mongo-java-server" ? (6 as const) : undefined;
  // The operator's client goes straight to the server (not through the proxy).
  const operatorClient = driver
    ? (new MongoClient6(server.url, { serverSelectionTimeoutMS: 10_000 }) as unknown as MongoClient)
    : undefined;

  const operators = new Set<ReturnType<typeof createMongoFaults>>();
  afterAll(async () => {
    for (const operator of operators) await operator.close();
    const cleanup = await createProvider({
      url: server.url,
      database,
      ...(driver ? { driver } : {}),
    });
    await cleanup.client
      .db(database)
      .dropDatabase()
      .catch(() => {});
    await cleanup.close();
    await operatorClient?.close();
    await proxies.close();
    await proxy.close();
  });

  const name = (variant: Variant) =>
    `mongo (${server.flavor} ${server.version ?? ""}, ${server.mode}, ${variant.label})`;
  const variants = variantsOf(server);
  // With LOCKS_CONFORMANCE_VARIANTS=one, "auto": what a user gets.
  for (const variant of selectVariants(variants, variants[0]!, name)) {
    // The operator acts with the same protocol as the providers under test.
    const operator = createMongoFaults({
      ...(operatorClient ? { client: operatorClient } : { url: server.url }),
      database,
      ...(variant.options.protocol ? { protocol: variant.options.protocol } : {}),
    });
    operators.add(operator);
    const childOptions: MongoChildOptions = {
      url,
      database,
      ...(driver ? { driver } : {}),
      ...variant.options,
    };
    describeLockProvider({
      name: name(variant),
      createProvider: (options) =>
        proxies.create((p) =>
          createProvider({
            ...childOptions,
            url: urlOf(p),
            ...(options?.prefix === undefined ? {} : { prefix: options.prefix }),
          }),
        ),
      faults: {
        breakLock: (key) => operator.breakLock(key),
        async dropConnections(provider) {
          proxies.of(provider as MongoLockProvider).dropConnections();
        },
        ...serverFaults(server, { proxy }),
        partition: (provider, ms) => proxies.partition(provider as MongoLockProvider, ms),
      },
      // FerretDB keeps data in SQLite behind a proxy and the ledger renews with two round trips;
      // a renewal answered after the previous lease's deadline is (rightly) a loss, so leases of
      // 300 ms lose locks whenever this 2-core machine stalls for 200 ms.
      // Contention on FerretDB is paced by polling (no change streams): 1,200 sections took 25-34 s
      // alone and overran the 120 s hang guard in CI while other suites shared the 2 cores.
      // Half as many (600 in-process, 400 across processes, each a contended hand-over between
      // 8 workers on 4 nodes) keep the overlap and fencing checks meaningful; 600 took 48 s with
      // the machine at load 15-20, still 2.5x inside the guard.
      // A fair hand-off through the ledger is four round trips in a row to SQLite (release, the
      // head's read of a free key, the grant's insert, its check for a newer grant): in CI's
      // container leg six providers' longest wait was 1,125 ms against the starvation scenario's
      // unscaled 930 ms bound, with every provider served 3-4 times. timeScale 2 keeps the bound
      // meaningful (a starved waiter waits the whole run) while allowing for that hand-off.
      ...(server.flavor === "ferretdb" ? { minTtl: 600, contentionScale: 0.5, timeScale: 2 } : {}),
      child: {
        module: fileURLToPath(new URL("./mongo.ts", import.meta.url)),
        options: { ...childOptions },
      },
    });
  }
}
