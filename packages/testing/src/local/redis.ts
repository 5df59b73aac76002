import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { freePort, LOOPBACK } from "../ports.js";
import { type StartedServer, withPortRetry } from "../server.js";
import { findBinary } from "./binaries.js";
import { LocalProcess, processLifecycle } from "./process.js";
import { makeTempDir } from "./temp-dir.js";

/** Options for one local redis-server. */
export interface LocalRedisOptions {
  /** Start it as a cluster node (`cluster-enabled yes`) with its bus on a second free port. */
  readonly cluster?: boolean;
}

const versions = new Map<string, string | undefined>();

function redisVersion(binary: string): string | undefined {
  if (!versions.has(binary)) {
    try {
      const out = execFileSync(binary, ["--version"], { encoding: "utf8" });
      versions.set(binary, /v=(\S+)/.exec(out)?.[1]);
    } catch {
      versions.set(binary, undefined);
    }
  }
  return versions.get(binary);
}

/** Finds `redis-server`, or explains why not. */
export function localRedisBinary(env: NodeJS.ProcessEnv): string | undefined {
  return findBinary(env, "redis-server");
}

/** A started local redis-server; `clusterPort` is set for cluster nodes. */
export interface LocalRedis extends StartedServer {
  readonly clusterPort?: number;
}

/**
 * Starts redis-server on a free loopback port in a temp dir, without persistence
 * (`save ""`, `appendonly no`): a restart loses the data, like a crashed cache.
 */
export async function startLocalRedis(
  env: NodeJS.ProcessEnv,
  options: LocalRedisOptions = {},
): Promise<LocalRedis> {
  const binary = localRedisBinary(env);
  if (!binary) throw new Error("redis-server not found in PATH");
  const version = redisVersion(binary);
  return withPortRetry(async () => {
    const dir = makeTempDir(options.cluster ? "redis-node" : "redis");
    const port = await freePort();
    const clusterPort = options.cluster ? await freePort() : undefined;
    const args = [
      "--port",
      String(port),
      "--bind",
      LOOPBACK,
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--logfile",
      "",
      "--loglevel",
      "notice",
    ];
    if (clusterPort !== undefined) {
      args.push(
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, "nodes.conf"),
        "--cluster-port",
        String(clusterPort),
        "--cluster-node-timeout",
        "5000",
      );
    }
    const proc = new LocalProcess({
      name: "redis-server",
      command: binary,
      args,
      cwd: dir,
      env,
      logFile: join(dir, "redis.log"),
      readyLine: /Ready to accept connections/,
      port,
      dirs: [dir],
      startTimeoutMs: 20_000,
    });
    try {
      await proc.start();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const server: LocalRedis = {
      descriptor: {
        url: `redis://${LOOPBACK}:${port}`,
        host: LOOPBACK,
        port,
        mode: "local",
        ...(version ? { version } : {}),
      },
      label: `redis-server${version ? ` ${version}` : ""}`,
      ...(clusterPort !== undefined ? { clusterPort } : {}),
      ...processLifecycle(proc, dir),
    };
    return server;
  });
}
