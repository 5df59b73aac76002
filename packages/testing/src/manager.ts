import { createCluster, waitClusterOk } from "./cluster.js";
import { startMongoJavaContainer } from "./container/mongo-java.js";
import { containerRuntime } from "./container/runtime.js";
import {
  startMongoContainer,
  startMysqlContainer,
  startPostgresContainer,
  startRedisClusterContainers,
  startRedisContainer,
} from "./container/servers.js";
import { descriptorFromUrl, redactUrl, splitUrls } from "./env-urls.js";
import { localMongoBinary, startLocalMongo } from "./local/mongo.js";
import { localMongoJava, startLocalMongoJava } from "./local/mongo-java.js";
import { localMysqlBinary, startLocalMysql } from "./local/mysql.js";
import { localPostgresBinary, startLocalPostgres } from "./local/postgres.js";
import { type LocalRedis, localRedisBinary, startLocalRedis } from "./local/redis.js";
import { logLine } from "./log.js";
import { type StartedServer, settleWithin, withPortRetry } from "./server.js";
import type {
  BackendName,
  ControlAction,
  Resolution,
  ServerDescriptor,
  ServerMode,
} from "./types.js";

/** Value of `LOCKS_TEST_MODE`. */
export type TestModeSetting = "auto" | "env" | "container" | "local";

/** Most independent Redis servers {@link ServerManager} starts for Redlock tests. */
export const MAX_REDIS_SERVERS = 5;

/** Reads and checks `LOCKS_TEST_MODE` (default `auto`). */
export function testModeSetting(env: NodeJS.ProcessEnv): TestModeSetting {
  const raw = (env.LOCKS_TEST_MODE ?? "").trim().toLowerCase();
  if (raw === "") return "auto";
  if (raw === "auto" || raw === "env" || raw === "container" || raw === "local") return raw;
  throw new TypeError(
    `LOCKS_TEST_MODE must be one of auto, env, container, local (got ${JSON.stringify(env.LOCKS_TEST_MODE)})`,
  );
}

const ENV_VARIABLE: Record<BackendName, string> = {
  redis: "LOCKS_REDIS_URL",
  "redis-servers": "LOCKS_REDIS_URLS",
  "redis-cluster": "LOCKS_REDIS_CLUSTER_URLS",
  mysql: "LOCKS_MYSQL_URL",
  mongo: "LOCKS_MONGO_URL",
  "mongo-java": "LOCKS_MONGO_JAVA_URL",
  postgres: "LOCKS_POSTGRES_URL",
};

class Unavailable extends Error {}

/**
 * Starts servers on demand and remembers them: one per backend (Redlock: a pool of up to
 * five), each started once however many times it is asked for. Used in-process, or behind
 * the broker so that all test workers share one set.
 */
export class ServerManager {
  readonly #env: NodeJS.ProcessEnv;
  readonly #servers = new Map<string, StartedServer>();
  /** Everything started, registered or not (a failed cluster start still owns nodes). */
  readonly #owned = new Set<StartedServer>();
  readonly #pending = new Map<string, Promise<Resolution>>();
  #redisPool: Promise<{ servers: StartedServer[]; mode: ServerMode; label: string }> | undefined;
  #nextId = 0;
  #closed = false;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  /** Resolves a backend; `count` is the number of servers for `redis-servers`. */
  resolve(backend: BackendName, count = 1): Promise<Resolution> {
    if (this.#closed) return Promise.resolve({ ok: false, reason: "test servers already stopped" });
    if (backend === "redis-servers") {
      if (!Number.isInteger(count) || count < 1 || count > MAX_REDIS_SERVERS) {
        return Promise.reject(
          new RangeError(`count must be an integer from 1 to ${MAX_REDIS_SERVERS} (got ${count})`),
        );
      }
    }
    const key = backend === "redis-servers" ? `${backend}:${count}` : backend;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#resolve(backend, count).catch((error: unknown): Resolution => {
        if (error instanceof TypeError || error instanceof RangeError) throw error;
        return { ok: false, reason: (error as Error).message };
      });
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** Runs a fault action on a server this manager started. */
  async control(id: string, action: ControlAction): Promise<void> {
    const server = this.#servers.get(id);
    if (!server) throw new Error(`unknown test server id ${JSON.stringify(id)}`);
    await server.control[action]();
  }

  /** Stops every server. Idempotent. */
  async stopAll(): Promise<void> {
    this.#closed = true;
    // Both waits are bounded (see STOP_DEADLINE_MS): a Docker daemon that stopped answering
    // must not hang the test run after its last test.
    const starting: Array<{ label: string; done: Promise<unknown> }> = [
      ...this.#pending.entries(),
    ].map(([key, done]) => ({
      label: `the start of ${key}`,
      done,
    }));
    if (this.#redisPool)
      starting.push({ label: "the start of redis-servers", done: this.#redisPool });
    await settleWithin(starting, undefined);
    const servers = [...new Set([...this.#owned, ...this.#servers.values()])];
    this.#owned.clear();
    this.#servers.clear();
    await settleWithin(
      servers.map((s) => ({ label: s.label, done: s.stop() })),
      "stopping a server failed",
    );
  }

  #own<T extends StartedServer>(server: T): T {
    this.#owned.add(server);
    return server;
  }

  #register(server: StartedServer): ServerDescriptor {
    this.#owned.add(server);
    const id = `s${++this.#nextId}`;
    this.#servers.set(id, server);
    return { ...server.descriptor, id };
  }

  async #resolve(backend: BackendName, count: number): Promise<Resolution> {
    const mode = testModeSetting(this.#env);
    const variable = ENV_VARIABLE[backend];
    const value = this.#env[variable]?.trim();
    if ((mode === "auto" || mode === "env") && value) {
      return this.#fromEnv(backend, variable, value, count);
    }
    if (mode === "env") {
      return { ok: false, reason: `LOCKS_TEST_MODE=env but ${variable} is not set` };
    }
    const reasons: string[] = [];
    if (mode === "auto" || mode === "container") {
      const runtime = await containerRuntime();
      if (runtime.client) {
        try {
          return await this.#container(backend, count);
        } catch (error) {
          const reason = `container start failed: ${firstLine(error)}`;
          if (mode === "container" && backend !== "redis-cluster") return { ok: false, reason };
          reasons.push(reason);
          if (backend === "redis-cluster") {
            logLine(`redis-cluster: ${reason}; running the cluster from local binaries instead`);
          } else {
            logLine(`${backend}: ${reason}; trying local binaries`);
          }
        }
      } else {
        if (mode === "container")
          return { ok: false, reason: runtime.reason ?? "no container runtime" };
        reasons.push(runtime.reason ?? "no container runtime");
      }
    }
    try {
      return await this.#local(backend, count);
    } catch (error) {
      if (error instanceof Unavailable) reasons.push(error.message);
      else reasons.push(`local start failed: ${firstLine(error)}`);
      return { ok: false, reason: reasons.join("; ") };
    }
  }

  #fromEnv(backend: BackendName, variable: string, value: string, count: number): Resolution {
    if (backend === "redis-servers" || backend === "redis-cluster") {
      const urls = splitUrls(value);
      if (backend === "redis-servers" && urls.length < count) {
        return {
          ok: false,
          reason: `${variable} lists ${urls.length} server(s) but ${count} were requested`,
        };
      }
      const servers = urls.slice(0, backend === "redis-servers" ? count : undefined);
      const descriptors = servers.map((url) => descriptorFromUrl(url, variable));
      logLine(`${backend}: env ${variable} ${descriptors.map((d) => redactUrl(d.url)).join(", ")}`);
      return { ok: true, servers: descriptors, mode: "env" };
    }
    const extra: Partial<ServerDescriptor> =
      backend === "mongo"
        ? { flavor: this.#env.LOCKS_MONGO_FLAVOR === "ferretdb" ? "ferretdb" : "mongodb" }
        : backend === "mongo-java"
          ? { flavor: "mongo-java-server" }
          : {};
    const descriptor = descriptorFromUrl(value, variable, extra);
    logLine(`${backend}: env ${variable} ${redactUrl(descriptor.url)}`);
    return { ok: true, servers: [descriptor], mode: "env" };
  }

  async #container(backend: BackendName, count: number): Promise<Resolution> {
    switch (backend) {
      case "redis":
        return this.#single(
          backend,
          "container",
          await withPortRetry(() => startRedisContainer(this.#env)),
        );
      case "mysql":
        return this.#single(
          backend,
          "container",
          await withPortRetry(() => startMysqlContainer(this.#env)),
        );
      case "mongo":
        return this.#single(
          backend,
          "container",
          await withPortRetry(() => startMongoContainer(this.#env)),
        );
      case "mongo-java":
        return this.#single(
          backend,
          "container",
          await withPortRetry(() => startMongoJavaContainer(this.#env)),
        );
      case "postgres":
        return this.#single(
          backend,
          "container",
          await withPortRetry(() => startPostgresContainer(this.#env)),
        );
      case "redis-servers":
        return this.#redisServers(count, "container");
      case "redis-cluster": {
        const nodes = await startRedisClusterContainers(this.#env);
        return this.#cluster(nodes, "container");
      }
    }
  }

  async #local(backend: BackendName, count: number): Promise<Resolution> {
    const env = this.#env;
    switch (backend) {
      case "redis":
        if (!localRedisBinary(env)) throw new Unavailable("redis-server not found in PATH");
        return this.#single(backend, "local", await startLocalRedis(env));
      case "mysql":
        if (!localMysqlBinary(env)) {
          throw new Unavailable("mariadbd/mysqld (and mariadb-install-db) not found in PATH");
        }
        return this.#single(backend, "local", await startLocalMysql(env));
      case "mongo":
        if (!localMongoBinary(env)) {
          throw new Unavailable("neither mongod nor a working ferretdb in PATH or ~/go/bin");
        }
        return this.#single(backend, "local", await startLocalMongo(env));
      case "mongo-java": {
        const install = localMongoJava(env);
        if (typeof install === "string") throw new Unavailable(install);
        return this.#single(backend, "local", await startLocalMongoJava(env));
      }
      case "postgres":
        if (!localPostgresBinary(env)) {
          throw new Unavailable("postgres/initdb not found in PATH or /usr/lib/postgresql/*/bin");
        }
        return this.#single(backend, "local", await startLocalPostgres(env));
      case "redis-servers":
        if (!localRedisBinary(env)) throw new Unavailable("redis-server not found in PATH");
        return this.#redisServers(count, "local");
      case "redis-cluster":
        if (!localRedisBinary(env)) throw new Unavailable("redis-server not found in PATH");
        return this.#cluster(await this.#localClusterNodes(), "local");
    }
  }

  #single(backend: BackendName, mode: ServerMode, server: StartedServer): Resolution {
    const descriptor = this.#register(server);
    logLine(`${backend}: ${mode} ${server.label} at ${descriptor.host}:${descriptor.port}`);
    return { ok: true, servers: [descriptor], mode };
  }

  async #redisServers(count: number, mode: ServerMode): Promise<Resolution> {
    // One pool of MAX_REDIS_SERVERS-bounded size; a request for n gets the first n.
    const previous = this.#redisPool;
    this.#redisPool = (async () => {
      const fresh = { servers: [] as StartedServer[], mode, label: "" };
      const earlier = previous ? await previous.catch(() => undefined) : undefined;
      const pool = earlier && earlier.mode === mode ? earlier : fresh;
      while (pool.servers.length < count) {
        const server = this.#own(
          pool.mode === "container"
            ? await withPortRetry(() => startRedisContainer(this.#env))
            : await startLocalRedis(this.#env),
        );
        pool.servers.push(server);
        pool.label = server.label;
      }
      return pool;
    })();
    const pool = await this.#redisPool;
    const servers = pool.servers.slice(0, count);
    const descriptors = servers.map((s) => {
      const known = [...this.#servers.entries()].find(([, v]) => v === s);
      return known ? { ...s.descriptor, id: known[0] } : this.#register(s);
    });
    logLine(
      `redis-servers: ${pool.mode} ${pool.label} ×${count} at ${descriptors.map((d) => `${d.host}:${d.port}`).join(", ")}`,
    );
    return { ok: true, servers: descriptors, mode: pool.mode };
  }

  async #localClusterNodes(): Promise<StartedServer[]> {
    const started: LocalRedis[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        started.push(this.#own(await startLocalRedis(this.#env, { cluster: true })));
      }
      const addresses = started.map((n) => ({
        host: n.descriptor.host,
        port: n.descriptor.port,
        busPort: n.clusterPort ?? n.descriptor.port + 10_000,
      }));
      await createCluster(addresses);
      // A restarted node rejoins from its nodes.conf; wait until the cluster is whole again.
      return started.map((node) => ({
        ...node,
        label: `${node.label} cluster node`,
        control: {
          ...node.control,
          async restart() {
            await node.control.restart();
            await waitClusterOk(addresses);
          },
        },
      }));
    } catch (error) {
      await Promise.allSettled(started.map((n) => n.stop()));
      throw error;
    }
  }

  #cluster(nodes: StartedServer[], mode: ServerMode): Resolution {
    const descriptors = nodes.map((n) => this.#register(n));
    logLine(
      `redis-cluster: ${mode} 3 masters (${nodes[0]?.label ?? "redis"}) at ${descriptors.map((d) => `${d.host}:${d.port}`).join(", ")}`,
    );
    return { ok: true, servers: descriptors, mode };
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0] ?? "";
}
