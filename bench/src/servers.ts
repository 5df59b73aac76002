/**
 * The servers a benchmark runs against, through `@locks/testing`: URLs from the environment
 * (`LOCKS_REDIS_URL`, `LOCKS_REDIS_URLS` for Redlock, `LOCKS_REDIS_CLUSTER_URLS`,
 * `LOCKS_MYSQL_URL`, `LOCKS_MONGO_URL`, `LOCKS_POSTGRES_URL`) when
 * set, else locally installed binaries on free loopback ports in temp dirs. Unlike the tests,
 * the bench does not pick containers by itself (set `LOCKS_TEST_MODE=container` to ask for
 * them): a container's port forwarding adds latency that belongs to no lock library.
 */
import { createTestServers, type TestServer, type TestServers } from "@locks/testing";
import { Redis } from "ioredis";
import { MongoClient } from "mongodb";
import { createConnection } from "mysql2/promise";
import pg from "pg";

/** Where a backend lives and how it was obtained. */
export interface ServerInfo {
  /** Connection URLs (several for Redlock). */
  urls: string[];
  /** `env`, `local` or `container`. */
  mode: string;
  /** Server name and version, e.g. `Redis 7.0.15`. */
  version: string;
}

const ENV_URL = {
  redis: "LOCKS_REDIS_URL",
  redisServers: "LOCKS_REDIS_URLS",
  redisCluster: "LOCKS_REDIS_CLUSTER_URLS",
  mysql: "LOCKS_MYSQL_URL",
  mongo: "LOCKS_MONGO_URL",
  mongoJava: "LOCKS_MONGO_JAVA_URL",
  postgres: "LOCKS_POSTGRES_URL",
} as const;

/** Starts and remembers servers; `stop()` ends every process it started. */
export class Servers {
  private readonly started: TestServers[] = [];

  private servers(variable: (typeof ENV_URL)[keyof typeof ENV_URL]): TestServers {
    const mode =
      process.env.LOCKS_TEST_MODE?.trim() || (process.env[variable]?.trim() ? "env" : "local");
    const servers = createTestServers({
      env: { ...process.env, LOCKS_TEST_MODE: mode },
      broker: false,
    });
    this.started.push(servers);
    return servers;
  }

  /** One Redis (`count` 1) or `count` independent ones (Redlock). */
  async redis(count: number): Promise<ServerInfo> {
    const servers = this.servers(count === 1 ? ENV_URL.redis : ENV_URL.redisServers);
    const found: TestServer[] | undefined =
      count === 1
        ? await servers.redisServer().then((s) => s && [s])
        : await servers.redisServers(count);
    if (!found || found.length < count) {
      throw new Error(
        servers.unavailableReason(count === 1 ? "redis" : "redis-servers") ?? "no Redis",
      );
    }
    const urls = found.map((s) => s.url);
    const version = await withRedis(urls[0]!, async (r) => {
      const info = await r.info("server");
      return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? "?"}`;
    });
    return { urls, mode: found[0]!.mode, version };
  }

  /** A Redis Cluster (three masters); `urls` are its startup nodes. */
  async redisCluster(): Promise<ServerInfo> {
    const servers = this.servers(ENV_URL.redisCluster);
    const found = await servers.redisCluster();
    if (!found) throw new Error(servers.unavailableReason("redis-cluster") ?? "no Redis Cluster");
    return { urls: found.nodes.map((node) => node.url), mode: found.mode, version: "Cluster" };
  }

  async mysql(): Promise<ServerInfo> {
    const servers = this.servers(ENV_URL.mysql);
    const found = await servers.mysqlServer();
    if (!found) throw new Error(servers.unavailableReason("mysql") ?? "no MySQL");
    const connection = await createConnection(found.url);
    try {
      const [rows] = await connection.query("SELECT VERSION() AS v");
      const v = String((rows as Array<{ v: string }>)[0]?.v ?? "?");
      // 64 workers per implementation plus pools: make room where we are allowed to.
      await connection.query("SET GLOBAL max_connections = 1000").catch(() => {});
      const name = /mariadb/i.test(v) ? "MariaDB" : "MySQL";
      return { urls: [found.url], mode: found.mode, version: `${name} ${v}` };
    } finally {
      await connection.end();
    }
  }

  async mongo(): Promise<ServerInfo> {
    const servers = this.servers(ENV_URL.mongo);
    const found = await servers.mongoServer();
    if (!found) throw new Error(servers.unavailableReason("mongo") ?? "no MongoDB");
    const client = new MongoClient(found.url, { serverSelectionTimeoutMS: 10_000 });
    try {
      const info = await client.db("admin").command({ buildInfo: 1 });
      const ferret = info.ferretdbVersion ? ` (FerretDB ${String(info.ferretdbVersion)})` : "";
      return {
        urls: [found.url],
        mode: found.mode,
        version: `MongoDB ${String(info.version)}${ferret}`,
      };
    } finally {
      await client.close();
    }
  }

  /** mongo-java-server (its version is the test server layer's). */
  async mongoJava(): Promise<ServerInfo> {
    const servers = this.servers(ENV_URL.mongoJava);
    const found = await servers.mongoJavaServer();
    if (!found) throw new Error(servers.unavailableReason("mongo-java") ?? "no mongo-java-server");
    return {
      urls: [found.url],
      mode: found.mode,
      version: `mongo-java-server ${found.version ?? "?"}`,
    };
  }

  /** PostgreSQL, with the server's own version string. */
  async postgres(): Promise<ServerInfo> {
    const servers = this.servers(ENV_URL.postgres);
    const found = await servers.postgresServer();
    if (!found) throw new Error(servers.unavailableReason("postgres") ?? "no PostgreSQL");
    const client = new pg.Client({ connectionString: found.url });
    client.on("error", () => {});
    await client.connect();
    try {
      const result = await client.query({ text: "SHOW server_version", rowMode: "array" });
      const version = String((result.rows[0] as unknown[] | undefined)?.[0] ?? "?");
      return { urls: [found.url], mode: found.mode, version: `PostgreSQL ${version}` };
    } finally {
      await client.end();
    }
  }

  /** Stops every server this instance started. */
  async stop(): Promise<void> {
    const all = this.started.splice(0);
    await Promise.allSettled(all.map((servers) => servers.stop()));
  }
}

async function withRedis<T>(url: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}
