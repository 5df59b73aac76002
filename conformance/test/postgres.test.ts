/**
 * The conformance suite against PostgreSQL from `@locks/testing`. Fault hooks act the way an
 * operator would: `pg_terminate_backend` the session that holds a lock (found in `pg_locks`),
 * terminate every session of a provider, and restart or freeze the server through its test
 * controls. A server given by URL has no controls: providers then connect through a loopback TCP
 * proxy whose pause stands in for a frozen server, and the restart scenario is skipped.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import type { PostgresLockProvider } from "@locks/postgres";
import { createPostgresFaults } from "@locks/postgres/faults";
import {
  postgresServer,
  providerProxies,
  serverFaults,
  startTcpProxy,
  unavailableReason,
} from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import { createProvider, type PostgresChildOptions } from "../providers/postgres.js";

const server = await postgresServer();

if (!server) {
  describe("postgres", () => {
    it("has a server to run against", (context) =>
      context.skip(`no PostgreSQL server: ${unavailableReason("postgres")}`));
  });
} else {
  // Terminating hooks on an admin pool straight to the server (never through the proxy).
  const kills = createPostgresFaults({ connectionString: server.url });
  const proxy = server.control
    ? undefined
    : await startTcpProxy({ host: server.host, port: server.port });
  // Besides, a proxy per provider for the partition hook (one node cut off, half-open).
  const proxies = providerProxies<PostgresLockProvider>(proxy ?? server);
  afterAll(async () => {
    await kills.close();
    await proxies.close();
    await proxy?.close();
  });

  const url = new URL(server.url);
  if (proxy) {
    url.hostname = proxy.host;
    url.port = String(proxy.port);
  }
  const options: PostgresChildOptions = { url: url.href };
  const via = (p: { host: string; port: number }) => {
    const proxied = new URL(url);
    proxied.hostname = p.host;
    proxied.port = String(p.port);
    return proxied.href;
  };

  describeLockProvider({
    name: `postgres (${server.version ?? "unknown version"}, ${server.mode})`,
    createProvider: (o) => proxies.create((p) => createProvider({ ...options, url: via(p), ...o })),
    faults: {
      breakLock: (key) => kills.breakLock(key),
      dropConnections: (provider) => kills.dropConnections(provider),
      ...serverFaults(server, { proxy }),
      partition: proxies.partition,
    },
    // The provider's documented bound for noticing a dead session: validateInterval (1 s) plus
    // validateTimeout (5 s), its defaults.
    livenessBound: 6_000,
    child: {
      module: fileURLToPath(new URL("../providers/postgres.ts", import.meta.url)),
      options: { ...options },
    },
  });
}
