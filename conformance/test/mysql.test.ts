/**
 * The conformance suite against MySQL / MariaDB from `@locks/testing`. Fault hooks act the way
 * an operator would: `KILL` the connection that holds a lock (found with `IS_USED_LOCK`), `KILL`
 * every connection of a provider, and restart or freeze the server through its test controls.
 * A server given by URL has no controls: providers then connect through a loopback TCP proxy
 * whose pause stands in for a frozen server, and the restart scenario is skipped.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import type { LockProvider } from "@locks/core";
import { MySqlLockProvider, mysqlLockName } from "@locks/mysql";
import { mysqlServer, startTcpProxy, unavailableReason } from "@locks/testing";
import mysql from "mysql2/promise";
import { afterAll, describe, it } from "vitest";
import { createProvider, type MySqlChildOptions } from "../providers/mysql.js";

const server = await mysqlServer();

if (!server) {
  describe("mysql", () => {
    it.skip(`no MySQL/MariaDB server: ${unavailableReason("mysql")}`, () => {});
  });
} else {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let admin: mysql.Connection | undefined;
  /** A connection for the fault hooks, reopened after a restart killed it. */
  const adminConnection = async (): Promise<mysql.Connection> => {
    if (admin) {
      try {
        await admin.query("SELECT 1");
        return admin;
      } catch {
        admin.destroy();
      }
    }
    admin = await mysql.createConnection(server.url);
    return admin;
  };
  const kill = async (id: number) => {
    const connection = await adminConnection();
    // Error 1094 "Unknown thread id": the connection closed meanwhile, which is what we want.
    await connection.query(`KILL ${Number(id)}`).catch(() => {});
  };
  const proxy = server.control
    ? undefined
    : await startTcpProxy({ host: server.host, port: server.port });
  afterAll(async () => {
    await admin?.end().catch(() => {});
    await proxy?.close();
  });

  const url = new URL(server.url);
  if (proxy) {
    url.hostname = proxy.host;
    url.port = String(proxy.port);
  }
  const options: MySqlChildOptions = { url: url.href };

  describeLockProvider({
    name: `mysql (${server.version ?? "unknown version"}, ${server.mode})`,
    createProvider: (o) => createProvider({ ...options, ...o }),
    faults: {
      async breakLock(key: string) {
        const connection = await adminConnection();
        const [rows] = await connection.query({
          sql: "SELECT IS_USED_LOCK(?)",
          values: [mysqlLockName(key)],
          rowsAsArray: true,
        });
        const holder = (rows as unknown[][])[0]?.[0];
        if (holder === null || holder === undefined) throw new Error(`"${key}" is not locked`);
        await kill(Number(holder));
        // The client sees its socket close slightly before the server's session clean-up frees
        // the lock: the fault is complete once the killed session no longer holds it.
        for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
          const [after] = await connection.query({
            sql: "SELECT IS_USED_LOCK(?) <=> ?",
            values: [mysqlLockName(key), Number(holder)],
            rowsAsArray: true,
          });
          if (Number((after as unknown[][])[0]?.[0]) !== 1) return;
          await sleep(2);
        }
        throw new Error(`"${key}" is still held by the killed connection ${holder}`);
      },
      async dropConnections(provider: LockProvider) {
        if (!(provider instanceof MySqlLockProvider)) throw new TypeError("not a MySQL provider");
        for (const id of provider.connectionIds()) await kill(id);
      },
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
      module: fileURLToPath(new URL("../providers/mysql.ts", import.meta.url)),
      options: { ...options },
    },
  });
}
