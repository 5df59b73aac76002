import { BROKER_ENV, brokerPost, brokerResolve } from "./broker.js";
import { logLine } from "./log.js";
import { ServerManager } from "./manager.js";
import { isCi, reportToRun } from "./run-report.js";
import type {
  BackendName,
  ControlAction,
  MongoTestServer,
  MysqlTestServer,
  RedisClusterServers,
  Resolution,
  ServerControl,
  ServerDescriptor,
  ServerMode,
  TestServer,
} from "./types.js";

/** Thrown under `CI=true` when a backend has no server: a missing backend fails the run. */
export class TestServerUnavailableError extends Error {
  override readonly name = "TestServerUnavailableError";
  constructor(
    /** The backend that has no server. */
    readonly backend: BackendName,
    /** Why. */
    readonly reason: string,
  ) {
    super(`[locks/testing] no ${backend} server under CI=true: ${reason}`);
  }
}

/** Options of {@link createTestServers}. */
export interface TestServersOptions {
  /** Environment to read `LOCKS_*` and `CI` from (default: `process.env`, read at each call). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Broker URL, or `false` to always start servers in this process. Default: the
   * `LOCKS_TEST_BROKER` variable set by `@locks/testing/global-setup`, else in-process.
   */
  readonly broker?: string | false;
}

/** The test-side API bound to one environment; the package's functions use a default one. */
export interface TestServers {
  redisServer(): Promise<TestServer | undefined>;
  redisServers(count: number): Promise<TestServer[] | undefined>;
  redisCluster(): Promise<RedisClusterServers | undefined>;
  mysqlServer(): Promise<MysqlTestServer | undefined>;
  mongoServer(): Promise<MongoTestServer | undefined>;
  mongoJavaServer(): Promise<MongoTestServer | undefined>;
  postgresServer(): Promise<TestServer | undefined>;
  unavailableReason(backend: BackendName): string | undefined;
  /** Stops the servers this object started in-process (not the broker's). */
  stop(): Promise<void>;
}

/** Creates a {@link TestServers} over an environment; see {@link TestServersOptions}. */
export function createTestServers(options: TestServersOptions = {}): TestServers {
  const envOf = () => options.env ?? process.env;
  let manager: ServerManager | undefined;
  const cache = new Map<string, Promise<Resolution>>();
  const reasons = new Map<BackendName, string>();
  const warned = new Set<BackendName>();
  const reported = new Set<string>();
  const report = (backend: BackendName, result: Resolution) => {
    const once = `${backend}:${result.ok}`;
    if (reported.has(once)) return;
    reported.add(once);
    const env = envOf();
    reportToRun(
      env,
      result.ok
        ? { backend, ok: true, mode: result.mode }
        : { backend, ok: false, reason: result.reason, fails: isCi(env) },
    );
  };

  const brokerUrl = (): string | undefined => {
    if (options.broker === false) return undefined;
    return options.broker ?? envOf()[BROKER_ENV] ?? undefined;
  };

  const controlFor = (d: ServerDescriptor): ServerControl | undefined => {
    const id = d.id;
    if (id === undefined) return undefined;
    const act = async (action: ControlAction) => {
      const broker = brokerUrl();
      if (broker) await brokerPost(broker, "/control", { id, action });
      else if (manager) await manager.control(id, action);
      else throw new Error("no server manager in this process");
    };
    return {
      restart: () => act("restart"),
      pause: () => act("pause"),
      resume: () => act("resume"),
    };
  };

  const toServer = (d: ServerDescriptor): TestServer => {
    const control = controlFor(d);
    return {
      url: d.url,
      host: d.host,
      port: d.port,
      mode: d.mode,
      ...(d.version !== undefined ? { version: d.version } : {}),
      ...(control ? { control } : {}),
    };
  };

  const resolve = async (
    backend: BackendName,
    count = 1,
  ): Promise<{ servers: ServerDescriptor[]; mode: ServerMode } | undefined> => {
    const key = `${backend}:${count}`;
    let pending = cache.get(key);
    if (!pending) {
      const broker = brokerUrl();
      if (broker) {
        pending = brokerResolve(broker, backend, count);
      } else {
        manager ??= new ServerManager(envOf());
        pending = manager.resolve(backend, count);
      }
      // A failed request (e.g. bad count) is not cached as a result.
      pending.catch(() => cache.delete(key));
      cache.set(key, pending);
    }
    const result = await pending;
    report(backend, result);
    if (result.ok) {
      reasons.delete(backend);
      return { servers: result.servers, mode: result.mode };
    }
    reasons.set(backend, result.reason);
    if (isCi(envOf())) throw new TestServerUnavailableError(backend, result.reason);
    if (!warned.has(backend)) {
      warned.add(backend);
      logLine(`!!! ${backend} UNAVAILABLE, its tests will be skipped: ${result.reason}`);
    }
    return undefined;
  };

  return {
    async redisServer() {
      const r = await resolve("redis");
      return r?.servers[0] && toServer(r.servers[0]);
    },
    async redisServers(count: number) {
      if (!Number.isInteger(count) || count < 1 || count > 5) {
        throw new RangeError(
          `redisServers(count): count must be an integer from 1 to 5 (got ${count})`,
        );
      }
      const r = await resolve("redis-servers", count);
      return r?.servers.map(toServer);
    },
    async redisCluster() {
      const r = await resolve("redis-cluster");
      return r && { nodes: r.servers.map(toServer), mode: r.mode };
    },
    async mysqlServer() {
      const r = await resolve("mysql");
      const d = r?.servers[0];
      if (!d) return undefined;
      const flavor =
        d.flavor === "mariadb" || /mariadb/i.test(d.version ?? "") ? "mariadb" : "mysql";
      return { ...toServer(d), flavor };
    },
    async mongoServer() {
      const r = await resolve("mongo");
      const d = r?.servers[0];
      return d && { ...toServer(d), flavor: d.flavor === "ferretdb" ? "ferretdb" : "mongodb" };
    },
    async mongoJavaServer() {
      const r = await resolve("mongo-java");
      const d = r?.servers[0];
      return d && { ...toServer(d), flavor: "mongo-java-server" };
    },
    async postgresServer() {
      const r = await resolve("postgres");
      return r?.servers[0] && toServer(r.servers[0]);
    },
    unavailableReason(backend: BackendName) {
      return reasons.get(backend);
    },
    async stop() {
      await manager?.stopAll();
      manager = undefined;
      cache.clear();
    },
  };
}
