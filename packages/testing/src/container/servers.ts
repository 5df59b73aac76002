import type { GenericContainer, StartedTestContainer } from "testcontainers";
import { createCluster, waitClusterOk } from "../cluster.js";
import { MYSQL_DATABASE, MYSQL_ROOT_PASSWORD } from "../local/mysql.js";
import { POSTGRES_DATABASE, POSTGRES_PASSWORD, POSTGRES_USER } from "../local/postgres.js";
import { waitMysqlGreeting } from "../mysql-handshake.js";
import { freePort, LOOPBACK, waitPortOpen } from "../ports.js";
import { waitPostgresReady } from "../postgres-handshake.js";
import { redisInfoField, respOk } from "../resp.js";
import type { StartedServer } from "../server.js";
import type { ServerDescriptor } from "../types.js";
import { startWatchdog } from "../watchdog.js";
import { retryUntil } from "../wire-probe.js";
import { containerRuntime, loadTestcontainers } from "./runtime.js";

/** Images used in container mode, from `LOCKS_*_IMAGE` or the official defaults. */
export function containerImages(env: NodeJS.ProcessEnv) {
  const mongo = env.LOCKS_MONGO_IMAGE || "mongo:7";
  const mysql = env.LOCKS_MYSQL_IMAGE || "mysql:8.4";
  return {
    redis: env.LOCKS_REDIS_IMAGE || "redis:7",
    postgres: env.LOCKS_POSTGRES_IMAGE || "postgres:16",
    mysql,
    mysqlFlavor: /mariadb/i.test(mysql) ? ("mariadb" as const) : ("mysql" as const),
    mongo,
    mongoFlavor:
      env.LOCKS_MONGO_FLAVOR === "ferretdb" || /ferretdb/i.test(mongo)
        ? ("ferretdb" as const)
        : ("mongodb" as const),
  };
}

type PortBindings = Record<string, Array<{ HostPort?: string; HostIp?: string }>>;

/** Docker publishes on 0.0.0.0 by default; every binding here is loopback-only. */
export function bindLoopback(container: GenericContainer): void {
  const hostConfig = (container as unknown as { hostConfig: { PortBindings?: PortBindings } })
    .hostConfig;
  for (const bindings of Object.values(hostConfig.PortBindings ?? {})) {
    for (const binding of bindings) binding.HostIp = LOOPBACK;
  }
}

function imageTag(image: string): string | undefined {
  const tag = image.split("/").pop()?.split(":")[1];
  return tag && tag !== "latest" ? tag : undefined;
}

async function docker() {
  const { client, reason } = await containerRuntime();
  if (!client) throw new Error(reason);
  return client;
}

/** Wraps a started container: watchdog, pause via `docker pause`, restart via `docker restart`. */
export function wrap(
  started: StartedTestContainer,
  descriptor: Omit<ServerDescriptor, "id">,
  label: string,
  afterRestart: () => Promise<void>,
): StartedServer {
  const watchdog = startWatchdog({ containers: [started.getId()] });
  let stopped = false;
  // Like SIGSTOP/SIGCONT, pause and resume are idempotent: `docker pause` of a paused
  // container and `docker unpause` of a running one would otherwise fail.
  const setPaused = async (paused: boolean) => {
    const client = await docker();
    const container = client.container.getById(started.getId());
    const inspect = await container.inspect();
    if (inspect.State.Paused === paused) return;
    if (paused) await container.pause();
    else await container.unpause();
  };
  return {
    descriptor,
    label,
    control: {
      async restart() {
        await setPaused(false);
        // Plain `docker restart` plus our own readiness probe: Testcontainers' restart
        // re-runs the log wait strategy, which depends on a log stream we do not need.
        const client = await docker();
        await client.container.getById(started.getId()).restart({ t: 10 });
        await afterRestart();
      },
      pause: () => setPaused(true),
      resume: () => setPaused(false),
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        const client = await docker();
        const inspect = await client.container.getById(started.getId()).inspect();
        if (inspect.State.Paused) await client.container.getById(started.getId()).unpause();
      } catch {
        // stop below removes it either way
      }
      await started.stop({ remove: true, removeVolumes: true, timeout: 5_000 });
      watchdog.dismiss();
    },
  };
}

/** The descriptor of a Redis container (or cluster node) on a loopback host port. */
function redisDescriptor(port: number, version: string | undefined): Omit<ServerDescriptor, "id"> {
  return {
    url: `redis://${LOOPBACK}:${port}`,
    host: LOOPBACK,
    port,
    mode: "container",
    ...(version ? { version } : {}),
  };
}

function waitRedisPing(port: number, timeoutMs = 30_000): Promise<void> {
  return retryUntil(
    async () => {
      const reply = await respOk(LOOPBACK, port, ["PING"], 1_000);
      if (reply !== "PONG") throw new Error(`PING answered ${String(reply)}`);
    },
    timeoutMs,
    100,
    () => `redis on port ${port} did not answer PING`,
  );
}

/** Redis through `@testcontainers/redis`, no persistence, on a fixed loopback host port. */
export async function startRedisContainer(env: NodeJS.ProcessEnv): Promise<StartedServer> {
  const image = containerImages(env).redis;
  await loadTestcontainers();
  const { RedisContainer } = await import("@testcontainers/redis");
  const port = await freePort();
  const container = new RedisContainer(image)
    .withCommand(["redis-server", "--save", "", "--appendonly", "no"])
    .withExposedPorts({ container: 6379, host: port })
    .withLabels({ "org.locks.testing": "redis" });
  bindLoopback(container);
  const started = await container.start();
  const version = await redisInfoField(LOOPBACK, port, "redis_version");
  return wrap(
    started,
    redisDescriptor(port, version),
    `${image}${version ? ` (redis ${version})` : ""}`,
    () => waitRedisPing(port),
  );
}

/** MySQL or MariaDB through `@testcontainers/mysql` (MariaDB reads the same `MYSQL_*` env). */
export async function startMysqlContainer(env: NodeJS.ProcessEnv): Promise<StartedServer> {
  const { mysql: image, mysqlFlavor } = containerImages(env);
  await loadTestcontainers();
  const { MySqlContainer } = await import("@testcontainers/mysql");
  const port = await freePort();
  const container = new MySqlContainer(image)
    .withRootPassword(MYSQL_ROOT_PASSWORD)
    .withDatabase(MYSQL_DATABASE)
    .withExposedPorts({ container: 3306, host: port })
    .withLabels({ "org.locks.testing": "mysql" });
  if (mysqlFlavor === "mariadb") {
    container.withEnvironment({
      MARIADB_ROOT_PASSWORD: MYSQL_ROOT_PASSWORD,
      MARIADB_DATABASE: MYSQL_DATABASE,
    });
  }
  bindLoopback(container);
  const started = await container.start();
  const version = await waitMysqlGreeting(LOOPBACK, port, 120_000);
  return wrap(
    started,
    {
      url: `mysql://root:${MYSQL_ROOT_PASSWORD}@${LOOPBACK}:${port}/${MYSQL_DATABASE}`,
      host: LOOPBACK,
      port,
      mode: "container",
      version,
      flavor: /mariadb/i.test(version) ? "mariadb" : "mysql",
    },
    `${image} (${mysqlFlavor} ${version})`,
    async () => {
      await waitMysqlGreeting(LOOPBACK, port, 120_000);
    },
  );
}

/**
 * PostgreSQL from the official `postgres` image (or one that reads the same `POSTGRES_*`
 * variables), as a plain container. Readiness is a startup-message probe over TCP: the official
 * entrypoint's first, socket-only server never answers on the published port.
 */
export async function startPostgresContainer(env: NodeJS.ProcessEnv): Promise<StartedServer> {
  const image = containerImages(env).postgres;
  const tc = await loadTestcontainers();
  const port = await freePort();
  const container = new tc.GenericContainer(image)
    .withEnvironment({
      POSTGRES_USER,
      POSTGRES_PASSWORD,
      POSTGRES_DB: POSTGRES_DATABASE,
    })
    .withCommand(["postgres", "-c", "max_connections=500"])
    .withExposedPorts({ container: 5432, host: port })
    .withWaitStrategy(tc.Wait.forListeningPorts())
    .withLabels({ "org.locks.testing": "postgres" })
    .withStartupTimeout(120_000);
  bindLoopback(container);
  const started = await container.start();
  const probed = await waitPostgresReady(LOOPBACK, port, 120_000);
  const version = probed ?? imageTag(image);
  return wrap(
    started,
    {
      url: `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@${LOOPBACK}:${port}/${POSTGRES_DATABASE}`,
      host: LOOPBACK,
      port,
      mode: "container",
      ...(version ? { version } : {}),
    },
    `${image}${version ? ` (postgres ${version})` : ""}`,
    async () => {
      await waitPostgresReady(LOOPBACK, port, 120_000);
    },
  );
}

/**
 * MongoDB through `@testcontainers/mongodb` (a single-node replica set, reached with
 * `directConnection=true`), or a FerretDB image as a plain container on port 27017.
 */
export async function startMongoContainer(
  env: NodeJS.ProcessEnv,
): Promise<StartedServer & { flavor: "mongodb" | "ferretdb" }> {
  const { mongo: image, mongoFlavor } = containerImages(env);
  const tc = await loadTestcontainers();
  const port = await freePort();
  const tag = imageTag(image);
  if (mongoFlavor === "ferretdb") {
    const container = new tc.GenericContainer(image)
      .withExposedPorts({ container: 27017, host: port })
      .withEnvironment({ FERRETDB_HANDLER: "sqlite", FERRETDB_TELEMETRY: "disable" })
      .withWaitStrategy(tc.Wait.forListeningPorts())
      .withLabels({ "org.locks.testing": "mongo" })
      .withStartupTimeout(60_000);
    bindLoopback(container);
    const started = await container.start();
    return {
      flavor: "ferretdb",
      ...wrap(
        started,
        {
          url: `mongodb://${LOOPBACK}:${port}/`,
          host: LOOPBACK,
          port,
          mode: "container",
          flavor: "ferretdb",
          ...(tag ? { version: tag } : {}),
        },
        `${image} (ferretdb)`,
        async () => {
          if (!(await waitPortOpen(LOOPBACK, port, 60_000))) {
            throw new Error(`ferretdb on port ${port} did not come back after a restart`);
          }
        },
      ),
    };
  }
  const { MongoDBContainer } = await import("@testcontainers/mongodb");
  const container = new MongoDBContainer(image)
    .withExposedPorts({ container: 27017, host: port })
    .withLabels({ "org.locks.testing": "mongo" });
  bindLoopback(container);
  const started = await container.start();
  const waitPrimary = async () => {
    const result = await started.exec([
      "mongosh",
      "--quiet",
      "--eval",
      "while (!db.hello().isWritablePrimary) { sleep(100) }",
    ]);
    if (result.exitCode !== 0) throw new Error(`mongod did not become primary: ${result.output}`);
  };
  return {
    flavor: "mongodb",
    ...wrap(
      started,
      {
        url: `mongodb://${LOOPBACK}:${port}/?directConnection=true`,
        host: LOOPBACK,
        port,
        mode: "container",
        flavor: "mongodb",
        ...(tag ? { version: tag } : {}),
      },
      `${image} (replica set rs0)`,
      waitPrimary,
    ),
  };
}

/**
 * Three cluster nodes in containers on the host network: a cluster announces its nodes'
 * addresses to clients, and with bridge networking those would be container addresses the
 * host cannot reach. On the host network each node binds 127.0.0.1 on its own free port, so
 * the announced address is the one clients use, and a restart keeps it.
 */
export async function startRedisClusterContainers(
  env: NodeJS.ProcessEnv,
): Promise<StartedServer[]> {
  const image = containerImages(env).redis;
  const tc = await loadTestcontainers();
  const nodes: StartedServer[] = [];
  const addresses: { host: string; port: number; busPort: number }[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const started = await new tc.GenericContainer(image)
        .withNetworkMode("host")
        .withCommand([
          "redis-server",
          "--port",
          String(port),
          "--bind",
          LOOPBACK,
          "--cluster-enabled",
          "yes",
          "--cluster-port",
          String(busPort),
          "--cluster-config-file",
          `nodes-${port}.conf`,
          "--cluster-node-timeout",
          "5000",
          "--save",
          "",
          "--appendonly",
          "no",
        ])
        .withWaitStrategy(tc.Wait.forLogMessage("Ready to accept connections"))
        .withLabels({ "org.locks.testing": "redis-cluster" })
        .withStartupTimeout(60_000)
        .start();
      const address = { host: LOOPBACK, port, busPort };
      addresses.push(address);
      const version = await redisInfoField(LOOPBACK, port, "redis_version");
      nodes.push(
        wrap(
          started,
          redisDescriptor(port, version),
          `${image} cluster node (host network)${version ? ` redis ${version}` : ""}`,
          async () => {
            await waitRedisPing(port);
            await waitClusterOk(addresses);
          },
        ),
      );
    }
    await createCluster(addresses);
    return nodes;
  } catch (error) {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    throw error;
  }
}
