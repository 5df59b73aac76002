import { backendKey } from "@locks/core/backend";
import {
  Cleanups,
  postgresServer,
  startTcpProxy,
  type TcpProxy,
  unavailableReason,
} from "@locks/testing";
import pg from "pg";
import { afterEach } from "vitest";
import {
  createPostgresLockProvider,
  type PostgresLockProvider,
  type PostgresLockProviderOptions,
  postgresLockId,
} from "../src/index.js";
import { lockIdParts } from "../src/lock-id.js";

/** The run's PostgreSQL server, or undefined (see {@link skipReason}). */
export const server = await postgresServer();

/** Why the server tests are skipped, shown in the suite name. */
export const skipReason = server
  ? undefined
  : `skipped: no PostgreSQL server (${unavailableReason("postgres") ?? "unknown reason"})`;

const cleanups = new Cleanups();

/** Registers work to run after the current test (providers, pools, connections). */
export function later(cleanup: () => Promise<unknown>): void {
  cleanups.later(cleanup);
}

afterEach(() => cleanups.run());

/** A provider on the test server, closed after the test. */
export function provider(options: Partial<PostgresLockProviderOptions> = {}): PostgresLockProvider {
  if (!server) throw new Error("no server");
  const created = createPostgresLockProvider(
    options.pool || options.poolConfig || options.connectionString
      ? options
      : { connectionString: server.url, ...options },
  );
  later(() => created.close());
  return created;
}

/** A TCP proxy to the test server (closed after the test) and the server's URL through it. */
export async function proxied(): Promise<{ proxy: TcpProxy; url: string }> {
  if (!server) throw new Error("no server");
  const proxy = await startTcpProxy({ host: server.host, port: server.port });
  later(() => proxy.close());
  const url = new URL(server.url);
  url.hostname = proxy.host;
  url.port = String(proxy.port);
  return { proxy, url: url.href };
}

/** A plain connection for inspecting and breaking things, closed after the test. */
export async function admin(): Promise<pg.Client> {
  if (!server) throw new Error("no server");
  const client = new pg.Client({ connectionString: server.url });
  client.on("error", () => {});
  await client.connect();
  later(() => client.end());
  return client;
}

/** A one-row, one-column query. */
export async function scalar(client: pg.Client, text: string, values: unknown[] = []) {
  const result = await client.query({ text, values, rowMode: "array" });
  return (result.rows as unknown[][])[0]?.[0];
}

/** The advisory lock id of `key` on a provider with `prefix` (default none). */
export function idOf(key: string, prefix = ""): bigint {
  return postgresLockId(backendKey(prefix, key));
}

/** Sessions holding (`granted`) or waiting for `key`'s advisory lock: `[pid, granted]` rows. */
export async function lockRows(
  client: pg.Client,
  key: string,
  prefix = "",
): Promise<[number, boolean][]> {
  const { classid, objid } = lockIdParts(idOf(key, prefix));
  const result = await client.query({
    text: "SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid AND objsubid = 1",
    values: [classid, objid],
    rowMode: "array",
  });
  return (result.rows as unknown[][]).map((row) => [Number(row[0]), row[1] === true]);
}

/** The session that holds `key`'s lock (on a provider with `prefix`), or null. */
export async function holderOf(
  client: pg.Client,
  key: string,
  prefix = "",
): Promise<number | null> {
  return (await lockRows(client, key, prefix)).find(([, granted]) => granted)?.[0] ?? null;
}

export { abortedWithin, eventually, uniqueKey } from "@locks/testing";
