/**
 * The conformance suite against PostgreSQL from `@locks/testing`. Fault hooks act the way an
 * operator would: `pg_terminate_backend` the session that holds a lock (found in `pg_locks`),
 * terminate every session of a provider, and restart or freeze the server through its test
 * controls. A server given by URL has no controls: providers then connect through a loopback TCP
 * proxy whose pause stands in for a frozen server, and the restart scenario is skipped.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { createPostgresFaults } from "@locks/postgres/faults";
import { postgresServer, startTcpProxy, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import { createProvider, type PostgresChildOptions } from "../providers/postgres.js";

const server = await postgresServer();

if (!server) {
  describe("postgres", () => {
    it("has a server to run against", (context) =>
      context.skip(`no PostgreSQL server: ${unavailableReason("postgres")}`));
  });
} else {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // Terminating hooks on an admin pool straight to the server (never through the proxy).
  const kills = createPostgresFaults({ connectionString: server.url });
  const proxy = server.control
    ? undefined
    : await startTcpProxy({ host: server.host, port: server.port });
  afterAll(async () => {
    await kills.close();
    await proxy?.close();
  });

  const url = new URL(server.url);
  if (proxy) {
    url.hostname = proxy.host;
    url.port = String(proxy.port);
  }
  const options: PostgresChildOptions = { url: url.href };

  describeLockProvider({
    name: `postgres (${server.version ?? "unknown version"}, ${server.mode})`,
    createProvider: (o) => createProvider({ ...options, ...o }),
    faults: {
      breakLock: (key) => kills.breakLock(key),
      dropConnections: (provider) => kills.dropConnections(provider),
      ...(server.control
        ? {
            restartBackend: () => server.control!.restart(),
            async pauseBackend(ms: number) {
              await server.control!.pause();
              await sleep(ms);
              await server.control!.resume();
            },
          }
        : {
            async pauseBackend(ms: number) {
              proxy!.pause();
              await sleep(ms);
              proxy!.resume();
            },
          }),
    },
    child: {
      module: fileURLToPath(new URL("../providers/postgres.ts", import.meta.url)),
      options: { ...options },
    },
  });
}
