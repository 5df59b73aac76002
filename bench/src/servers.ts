/**
 * The servers a benchmark runs against: URLs from the environment (`LOCKS_REDIS_URL`,
 * `LOCKS_REDIS_URLS` for Redlock, `LOCKS_MYSQL_URL`, `LOCKS_MONGO_URL`), else locally installed
 * binaries started on free loopback ports in temp dirs and stopped by {@link Servers.stop}.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { MongoClient } from "mongodb";
import { createConnection } from "mysql2/promise";
import { sleep } from "./clock.js";

/** Where a backend lives and how it was obtained. */
export interface ServerInfo {
  /** Connection URLs (several for Redlock). */
  urls: string[];
  /** `env`, or `local` for a binary this run started. */
  mode: "env" | "local";
  /** Server name and version, e.g. `Redis 7.0.15`. */
  version: string;
}

interface Started {
  process: ChildProcess;
  dir: string;
}

const READY_TIMEOUT = 30_000;
const FERRETDB_CANDIDATES = [
  process.env.LOCKS_FERRETDB_BIN,
  join(process.env.HOME ?? "/root", "go/bin/ferretdb"),
  "/usr/local/bin/ferretdb",
  "/usr/bin/ferretdb",
];

/** Starts and remembers servers; `stop()` ends every process it started. */
export class Servers {
  private readonly started: Started[] = [];

  constructor() {
    // Last resort if the process ends without stop() (a crash): no server may outlive the run.
    process.once("exit", () => {
      for (const { process: child } of this.started) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    });
  }

  /** One Redis (`count` 1) or `count` independent ones (Redlock). */
  async redis(count: number): Promise<ServerInfo> {
    const env =
      count === 1 ? process.env.LOCKS_REDIS_URL : process.env.LOCKS_REDIS_URLS?.split(",");
    let urls: string[] | undefined;
    let mode: ServerInfo["mode"] = "env";
    if (typeof env === "string" && env !== "") urls = [env];
    else if (Array.isArray(env) && env.length >= count) urls = env.slice(0, count);
    if (!urls) {
      mode = "local";
      urls = await Promise.all(Array.from({ length: count }, () => this.startRedis()));
    }
    const version = await withRedis(urls[0]!, async (r) => {
      const info = await r.info("server");
      return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? "?"}`;
    });
    return { urls, mode, version };
  }

  async mysql(): Promise<ServerInfo> {
    let url = process.env.LOCKS_MYSQL_URL;
    let mode: ServerInfo["mode"] = "env";
    if (!url) {
      mode = "local";
      url = await this.startMariaDb();
    }
    const connection = await createConnection(url);
    try {
      const [rows] = await connection.query("SELECT VERSION() AS v");
      const v = String((rows as Array<{ v: string }>)[0]?.v ?? "?");
      // 64 workers per implementation plus pools: make room where we are allowed to.
      await connection.query("SET GLOBAL max_connections = 1000").catch(() => {});
      return { urls: [url], mode, version: `${/mariadb/i.test(v) ? "MariaDB" : "MySQL"} ${v}` };
    } finally {
      await connection.end();
    }
  }

  async mongo(): Promise<ServerInfo> {
    let url = process.env.LOCKS_MONGO_URL;
    let mode: ServerInfo["mode"] = "env";
    if (!url) {
      mode = "local";
      url = await this.startFerretDb();
    }
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
    try {
      const info = await client.db("admin").command({ buildInfo: 1 });
      const ferret = info.ferretdbVersion ? ` (FerretDB ${String(info.ferretdbVersion)})` : "";
      return { urls: [url], mode, version: `MongoDB ${String(info.version)}${ferret}` };
    } finally {
      await client.close();
    }
  }

  /** Stops every server this instance started and removes their temp dirs. */
  async stop(): Promise<void> {
    const all = this.started.splice(0);
    await Promise.all(
      all.map(async ({ process: child, dir }) => {
        await terminate(child);
        await rm(dir, { recursive: true, force: true });
      }),
    );
  }

  private async launch(name: string, command: string, args: string[], dir: string) {
    const child = spawn(command, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    child.on("error", () => {});
    this.started.push({ process: child, dir });
    return {
      child,
      failed: () =>
        child.exitCode !== null || child.signalCode !== null
          ? new Error(`${name} exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`)
          : undefined,
    };
  }

  private async startRedis(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "locks-bench-redis-"));
    const port = await freePort();
    const { failed } = await this.launch(
      "redis-server",
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
      ],
      dir,
    );
    const url = `redis://127.0.0.1:${port}`;
    await waitReady("redis-server", failed, () => withRedis(url, (r) => r.ping()));
    return url;
  }

  private async startMariaDb(): Promise<string> {
    const server = ["mariadbd", "mysqld"].find((bin) => which(bin));
    if (!server) throw new Error("no mariadbd/mysqld binary found and LOCKS_MYSQL_URL not set");
    const dir = await mkdtemp(join(tmpdir(), "locks-bench-mariadb-"));
    const data = join(dir, "data");
    const init = spawnSync(
      "mariadb-install-db",
      [
        "--no-defaults",
        `--user=${process.env.USER ?? "root"}`,
        `--datadir=${data}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    if (init.status !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`mariadb-install-db failed: ${init.stderr || init.error?.message}`);
    }
    const port = await freePort();
    const { failed } = await this.launch(
      server,
      server,
      [
        "--no-defaults",
        `--user=${process.env.USER ?? "root"}`,
        `--datadir=${data}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${join(dir, "mysqld.sock")}`,
        `--pid-file=${join(dir, "mysqld.pid")}`,
        "--skip-log-bin",
        "--skip-name-resolve",
        "--max-connections=1000",
        "--innodb-buffer-pool-size=64M",
      ],
      dir,
    );
    const url = `mysql://root@127.0.0.1:${port}/mysql`;
    await waitReady(server, failed, async () => {
      const connection = await createConnection(url);
      await connection.end();
    });
    return url;
  }

  private async startFerretDb(): Promise<string> {
    const bin = FERRETDB_CANDIDATES.find(
      (candidate) =>
        candidate !== undefined &&
        existsSync(candidate) &&
        spawnSync(candidate, ["--version"], { timeout: 10_000 }).status === 0,
    );
    if (!bin) {
      throw new Error(
        "no working FerretDB binary (set LOCKS_MONGO_URL, or build one: scripts/setup-machine.sh)",
      );
    }
    const dir = await mkdtemp(join(tmpdir(), "locks-bench-ferretdb-"));
    const port = await freePort();
    const { failed } = await this.launch(
      "ferretdb",
      bin,
      [
        `--listen-addr=127.0.0.1:${port}`,
        "--handler=sqlite",
        `--sqlite-url=file:${dir}/`,
        `--state-dir=${dir}`,
        "--telemetry=disable",
        "--log-level=error",
        "--debug-addr=-",
      ],
      dir,
    );
    const url = `mongodb://127.0.0.1:${port}/`;
    await waitReady("ferretdb", failed, async () => {
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000 });
      try {
        await client.db("admin").command({ ping: 1 });
      } finally {
        await client.close();
      }
    });
    return url;
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

async function waitReady(
  name: string,
  failed: () => Error | undefined,
  probe: () => Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT;
  let last: unknown;
  while (Date.now() < deadline) {
    const exited = failed();
    if (exited) throw exited;
    try {
      await probe();
      return;
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`${name} not ready after ${READY_TIMEOUT} ms: ${String(last)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

function which(bin: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
