/**
 * Local redis-server processes for the hand-off script: loopback only, free ports, temp dirs,
 * no persistence (a restart loses every key, like a crash of an in-memory server).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";

const run = promisify(execFile);

export interface LocalRedis {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, deadlineMs = 10_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const client = new Redis({
      host: "127.0.0.1",
      port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch {
      client.disconnect();
      if (Date.now() - started > deadlineMs)
        throw new Error(`redis-server on ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function startRedis(extraArgs: string[] = []): Promise<LocalRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "locks-redis-handoff-"));
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        ...extraArgs,
      ],
      { stdio: "ignore" },
    );
    await waitForPing(port);
  };
  const kill = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once("exit", resolve));
    current.kill("SIGCONT");
    current.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    host: "127.0.0.1",
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      await kill();
      await launch();
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LocalCluster {
  readonly nodes: LocalRedis[];
  readonly startupNodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/** Three masters, no replicas. */
export async function startCluster(): Promise<LocalCluster> {
  const nodes = await Promise.all(
    [0, 1, 2].map(() => startRedis(["--cluster-enabled", "yes", "--cluster-node-timeout", "5000"])),
  );
  await run("redis-cli", [
    "--cluster",
    "create",
    ...nodes.map((n) => `127.0.0.1:${n.port}`),
    "--cluster-replicas",
    "0",
    "--cluster-yes",
  ]);
  const started = Date.now();
  for (;;) {
    const states = await Promise.all(
      nodes.map(async (n) => {
        const { stdout } = await run("redis-cli", ["-p", String(n.port), "cluster", "info"]);
        return stdout.includes("cluster_state:ok");
      }),
    );
    if (states.every(Boolean)) break;
    if (Date.now() - started > 20_000) throw new Error("cluster did not become ready");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: n.host, port: n.port })),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
