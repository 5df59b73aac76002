import { backendKey } from "@locks/core/backend";
import { Cleanups, eventually, mysqlServer, unavailableReason } from "@locks/testing";
import mysql from "mysql2/promise";
import { afterEach } from "vitest";
import {
  createMySqlLockProvider,
  type MySqlLockProvider,
  type MySqlLockProviderOptions,
  mysqlLockName,
} from "../src/index.js";

/** The run's MySQL/MariaDB server, or undefined (see {@link skipReason}). */
export const server = await mysqlServer();

/** Why the server tests are skipped, shown in the suite name. */
export const skipReason = server
  ? undefined
  : `skipped: no MySQL/MariaDB server (${unavailableReason("mysql") ?? "unknown reason"})`;

const cleanups = new Cleanups();

/** Registers work to run after the current test (providers, pools, connections). */
export function later(cleanup: () => Promise<unknown>): void {
  cleanups.later(cleanup);
}

afterEach(() => cleanups.run());

/** A provider on the test server, closed after the test. */
export function provider(options: Partial<MySqlLockProviderOptions> = {}): MySqlLockProvider {
  if (!server) throw new Error("no server");
  const created = createMySqlLockProvider(
    options.pool || options.poolOptions ? options : { url: server.url, ...options },
  );
  later(() => created.close());
  return created;
}

/** A plain connection for inspecting and breaking things, closed after the test. */
export async function admin(): Promise<mysql.Connection> {
  if (!server) throw new Error("no server");
  const connection = await mysql.createConnection(server.url);
  later(() => connection.end());
  return connection;
}

/** A one-row, one-column query. */
export async function scalar(connection: mysql.Connection, sql: string, values: unknown[] = []) {
  const [rows] = await connection.query({ sql, values, rowsAsArray: true });
  return (rows as unknown[][])[0]?.[0];
}

/** The server id of the connection holding `key`'s lock (on a provider with `prefix`), or null. */
export async function holderOf(
  connection: mysql.Connection,
  key: string,
  prefix = "",
): Promise<number | null> {
  const name = mysqlLockName(backendKey(prefix, key));
  const id = await scalar(connection, "SELECT IS_USED_LOCK(?)", [name]);
  return id === null || id === undefined ? null : Number(id);
}

/** What the server's process list says a connection is doing (state), or undefined when gone. */
export async function stateOf(
  connection: mysql.Connection,
  id: number,
): Promise<string | undefined> {
  const [rows] = await connection.query({
    sql: "SELECT COMMAND, STATE, INFO FROM information_schema.PROCESSLIST WHERE ID = ?",
    values: [id],
    rowsAsArray: true,
  });
  const row = (rows as unknown[][])[0];
  if (!row) return undefined;
  return row[2] === null
    ? String(row[0])
    : `${String(row[0])}: ${String(row[1])}: ${String(row[2])}`;
}

/** The id of `locks`' connection whose `GET_LOCK` wait the server is running, once there is one. */
export async function waitingConnection(
  connection: mysql.Connection,
  locks: MySqlLockProvider,
): Promise<number> {
  let waiter = 0;
  await eventually(
    async () => {
      for (const id of locks.connectionIds()) {
        if ((await stateOf(connection, id))?.includes("GET_LOCK")) waiter = id;
      }
      return waiter !== 0;
    },
    5_000,
    "GET_LOCK wait visible in the process list",
  );
  return waiter;
}

export { abortedWithin, uniqueKey } from "@locks/testing";
export { eventually };
