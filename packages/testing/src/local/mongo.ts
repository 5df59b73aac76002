import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, LOOPBACK } from "../ports.js";
import { type StartedServer, withPortRetry } from "../server.js";
import { findBinary } from "./binaries.js";
import { LocalProcess, processLifecycle } from "./process.js";
import { makeTempDir } from "./temp-dir.js";

const run = promisify(execFile);

/** The local MongoDB-compatible server binary. */
export interface LocalMongoBinary {
  readonly server: string;
  readonly flavor: "mongodb" | "ferretdb";
  readonly version: string | undefined;
  /** `mongosh` to initiate a replica set (mongod only). */
  readonly shell: string | undefined;
}

/** Finds `mongod`, else `ferretdb` (PATH, `$GOPATH/bin`, `$HOME/go/bin`). */
export function localMongoBinary(env: NodeJS.ProcessEnv): LocalMongoBinary | undefined {
  const mongod = findBinary(env, "mongod");
  if (mongod) {
    let version: string | undefined;
    try {
      const out = execFileSync(mongod, ["--version"], { encoding: "utf8", env });
      version = /db version v(\S+)/.exec(out)?.[1];
    } catch {
      return undefined;
    }
    return { server: mongod, flavor: "mongodb", version, shell: findBinary(env, "mongosh") };
  }
  const ferretdb = findBinary(env, "ferretdb");
  if (ferretdb) {
    try {
      const out = execFileSync(ferretdb, ["--version"], { encoding: "utf8", env });
      const version = /version:\s*v?(\S+)/.exec(out)?.[1];
      return { server: ferretdb, flavor: "ferretdb", version, shell: undefined };
    } catch {
      // e.g. a `go install` build without version info panics at start
      return undefined;
    }
  }
  return undefined;
}

/** A started local MongoDB-compatible server. */
export interface LocalMongo extends StartedServer {
  readonly flavor: "mongodb" | "ferretdb";
}

async function initiateReplicaSet(shell: string, port: number, env: NodeJS.ProcessEnv) {
  const script = `try { rs.status() } catch (e) { rs.initiate({ _id: "rs0", members: [{ _id: 0, host: "${LOOPBACK}:${port}" }] }) }
while (!db.hello().isWritablePrimary) { sleep(100) }`;
  await run(shell, ["--quiet", "--host", LOOPBACK, "--port", String(port), "--eval", script], {
    env,
    timeout: 60_000,
  });
}

/**
 * Starts `mongod` (a single-node replica set when `mongosh` can initiate it, so change
 * streams work) or else FerretDB with its SQLite handler, on a free loopback port in a temp
 * dir. Data lives in the temp dir and survives restarts.
 */
export async function startLocalMongo(env: NodeJS.ProcessEnv): Promise<LocalMongo> {
  const bin = localMongoBinary(env);
  if (!bin) throw new Error("neither mongod nor a working ferretdb found in PATH or ~/go/bin");
  const dir = makeTempDir(bin.flavor);
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  mkdirSync(join(dir, "state"));
  const replicaSet = bin.flavor === "mongodb" && bin.shell !== undefined;
  try {
    return await withPortRetry(async () => {
      const port = await freePort();
      const args =
        bin.flavor === "mongodb"
          ? [
              "--bind_ip",
              LOOPBACK,
              "--port",
              String(port),
              "--dbpath",
              dataDir,
              "--unixSocketPrefix",
              dir,
              "--quiet",
              ...(replicaSet ? ["--replSet", "rs0"] : []),
            ]
          : [
              "--handler=sqlite",
              `--sqlite-url=file:${dataDir}/`,
              `--listen-addr=${LOOPBACK}:${port}`,
              `--state-dir=${join(dir, "state")}`,
              "--debug-addr=-",
              "--telemetry=disable",
              "--log-level=warn",
            ];
      const proc = new LocalProcess({
        name: bin.flavor === "mongodb" ? "mongod" : "ferretdb",
        command: bin.server,
        args,
        cwd: dir,
        env,
        logFile: join(dir, `${bin.flavor}.log`),
        ...(bin.flavor === "mongodb" ? { readyLine: /[Ww]aiting for connections/ } : {}),
        port,
        dirs: [dir],
        startTimeoutMs: 60_000,
      });
      const startAndInit = async () => {
        await proc.start();
        if (replicaSet && bin.shell) await initiateReplicaSet(bin.shell, port, env);
      };
      await startAndInit();
      const query = replicaSet ? "?directConnection=true" : "";
      return {
        flavor: bin.flavor,
        descriptor: {
          url: `mongodb://${LOOPBACK}:${port}/${query}`,
          host: LOOPBACK,
          port,
          mode: "local",
          flavor: bin.flavor,
          ...(bin.version ? { version: bin.version } : {}),
        },
        label:
          `${bin.flavor === "mongodb" ? `mongod${replicaSet ? " (replica set rs0)" : " (standalone: no mongosh to initiate a replica set)"}` : "ferretdb (sqlite)"} ${bin.version ?? ""}`.trim(),
        ...processLifecycle(proc, dir, { graceMs: 30_000, start: startAndInit }),
      } satisfies LocalMongo;
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
