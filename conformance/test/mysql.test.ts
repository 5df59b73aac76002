/**
 * The conformance suite against MySQL / MariaDB from `@locks/testing`. Fault hooks act the way
 * an operator would: `KILL` the connection that holds a lock (found with `IS_USED_LOCK`), `KILL`
 * every connection of a provider, and restart or freeze the server through its test controls.
 * A server given by URL has no controls: providers then connect through a loopback TCP proxy
 * whose pause stands in for a frozen server, and the restart scenario is skipped.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import type { MySqlLockProvider } from "@locks/mysql";
import { createMySqlFaults } from "@locks/mysql/faults";
import {
  mysqlServer,
  providerProxies,
  serverFaults,
  startTcpProxy,
  unavailableReason,
} from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import { createProvider, type MySqlChildOptions } from "../providers/mysql.js";

const server = await mysqlServer();

if (!server) {
  describe("mysql", () => {
    it("has a server to run against", (context) =>
      context.skip(`no MySQL/MariaDB server: ${unavailableReason("mysql")}`));
  });
} else {
  // KILL-based hooks on an admin connection straight to the server (never through the proxy).
  const kills = createMySqlFaults({ url: server.url });
  const proxy = server.control
    ? undefined
    : await startTcpProxy({ host: server.host, port: server.port });
  // Besides, a proxy per provider for the partition hook (one node cut off, half-open).
  const proxies = providerProxies<MySqlLockProvider>(proxy ?? server);
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
  const options: MySqlChildOptions = { url: url.href };
  const via = (p: { host: string; port: number }) => {
    const proxied = new URL(url);
    proxied.hostname = p.host;
    proxied.port = String(p.port);
    return proxied.href;
  };

  describeLockProvider({
    name: `mysql (${server.version ?? "unknown version"}, ${server.mode})`,
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
      module: fileURLToPath(new URL("../providers/mysql.ts", import.meta.url)),
      options: { ...options },
    },
  });
}
