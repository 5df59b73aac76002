import { createTestServers, type TestServers } from "./test-servers.js";
import type {
  BackendName,
  MongoTestServer,
  MysqlTestServer,
  RedisClusterServers,
  TestServer,
} from "./types.js";

export { BROKER_ENV, type Broker, startBroker } from "./broker.js";
export {
  type ProviderProxies,
  providerProxies,
  type ServerFaultFallback,
  type ServerFaultHooks,
  serverFaults,
} from "./fault-hooks.js";
export { MAX_REDIS_SERVERS, type TestModeSetting, testModeSetting } from "./manager.js";
export { type PausedProcessTree, pauseProcessTree, processTree } from "./process-tree.js";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
export {
  createTestServers,
  type TestServers,
  type TestServersOptions,
  TestServerUnavailableError,
} from "./test-servers.js";
export { abortedWithin, Cleanups, eventually, uniqueKey } from "./test-support.js";
export type {
  BackendName,
  MongoFlavor,
  MongoTestServer,
  MysqlTestServer,
  RedisClusterServers,
  ServerControl,
  ServerMode,
  TestServer,
} from "./types.js";

let defaults: TestServers | undefined;
const shared = (): TestServers => {
  defaults ??= createTestServers();
  return defaults;
};

/**
 * One Redis server for this test run (started once, shared by every caller). Resolves
 * `undefined` when none can be had (after one loud log line); rejects under `CI=true`.
 */
export function redisServer(): Promise<TestServer | undefined> {
  return shared().redisServer();
}

/** `count` (1–5) independent Redis servers, each its own process, for Redlock. */
export function redisServers(count: number): Promise<TestServer[] | undefined> {
  return shared().redisServers(count);
}

/** A ready Redis Cluster: three masters, no replicas, all slots assigned. */
export function redisCluster(): Promise<RedisClusterServers | undefined> {
  return shared().redisCluster();
}

/** A MySQL or MariaDB server; its URL names the existing database `locks_test` as root. */
export function mysqlServer(): Promise<MysqlTestServer | undefined> {
  return shared().mysqlServer();
}

/** A MongoDB (single-node replica set where possible) or FerretDB server. */
export function mongoServer(): Promise<MongoTestServer | undefined> {
  return shared().mongoServer();
}

/**
 * mongo-java-server: a MongoDB wire-protocol server written in Java for tests (memory backend,
 * oplog on so change streams work). It is not MongoDB; connect with the mongodb 6 driver.
 */
export function mongoJavaServer(): Promise<MongoTestServer | undefined> {
  return shared().mongoJavaServer();
}

/**
 * A PostgreSQL server; its URL connects as the superuser `postgres` (password `locks`) to the
 * database `postgres`.
 */
export function postgresServer(): Promise<TestServer | undefined> {
  return shared().postgresServer();
}

/** Why the last request for `backend` in this process found no server; undefined otherwise. */
export function unavailableReason(backend: BackendName): string | undefined {
  return shared().unavailableReason(backend);
}
