import { existsSync, readdirSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { freePort, LOOPBACK } from "../ports.js";
import { type StartedServer, withPortRetry } from "../server.js";
import { findBinary } from "./binaries.js";
import { LocalProcess, processLifecycle } from "./process.js";
import { makeTempDir } from "./temp-dir.js";

/** The mongo-java-server version `scripts/setup-machine.sh` fetches (see `java/pom.xml`). */
export const MONGO_JAVA_SERVER_VERSION = "1.47.0";

/** Main class of the launcher in `java/LocksMongoJavaServer.java`. */
const MAIN_CLASS = "LocksMongoJavaServer";

/** The JVM and the launcher's class path. */
export interface MongoJavaInstall {
  /** The `java` binary. */
  readonly java: string;
  /** `lib/*` (the jars Maven fetched) and `classes` (the compiled launcher). */
  readonly classPath: string;
  readonly version: string;
}

/**
 * Where setup put the jars and the compiled launcher: `LOCKS_MONGO_JAVA_HOME`, else
 * `~/.cache/locks/mongo-java-server-<version>`.
 */
export function mongoJavaHome(env: NodeJS.ProcessEnv): string {
  return (
    env.LOCKS_MONGO_JAVA_HOME ||
    join(env.HOME || homedir(), ".cache", "locks", `mongo-java-server-${MONGO_JAVA_SERVER_VERSION}`)
  );
}

/** The install, or why there is none (a missing `java`, or setup has not run). */
export function localMongoJava(env: NodeJS.ProcessEnv): MongoJavaInstall | string {
  const java = findBinary(env, "java");
  if (!java) return "java not found in PATH";
  const home = mongoJavaHome(env);
  const lib = join(home, "lib");
  const launcher = join(home, "classes", `${MAIN_CLASS}.class`);
  const jars = existsSync(lib) ? readdirSync(lib).filter((f) => f.endsWith(".jar")) : [];
  if (!jars.some((f) => f.startsWith("mongo-java-server-core-")) || !existsSync(launcher)) {
    return `mongo-java-server is not set up in ${home} (run scripts/setup-machine.sh)`;
  }
  return {
    java,
    classPath: `${join(lib, "*")}:${join(home, "classes")}`,
    version: MONGO_JAVA_SERVER_VERSION,
  };
}

/**
 * JVM flags for a small test server: a bounded heap (the default is a quarter of the machine's
 * memory) and the quick-starting compiler tier, since a run restarts it.
 */
const JVM_FLAGS = ["-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];

/**
 * Starts mongo-java-server (memory backend, oplog on, so change streams work) on a free loopback
 * port. Its data lives in memory: a restart loses it, as with Redis here.
 */
export async function startLocalMongoJava(env: NodeJS.ProcessEnv): Promise<StartedServer> {
  const install = localMongoJava(env);
  if (typeof install === "string") throw new Error(install);
  const dir = makeTempDir("mongo-java-server");
  try {
    return await withPortRetry(async () => {
      const port = await freePort();
      const proc = new LocalProcess({
        name: "mongo-java-server",
        command: install.java,
        args: [...JVM_FLAGS, "-cp", install.classPath, MAIN_CLASS, LOOPBACK, String(port)],
        cwd: dir,
        env,
        logFile: join(dir, "mongo-java-server.log"),
        readyLine: /listening on /,
        port,
        dirs: [dir],
        startTimeoutMs: 60_000,
      });
      await proc.start();
      return {
        descriptor: {
          url: `mongodb://${LOOPBACK}:${port}/?directConnection=true`,
          host: LOOPBACK,
          port,
          mode: "local",
          flavor: "mongo-java-server",
          version: install.version,
        },
        label: `mongo-java-server ${install.version} (memory backend, oplog)`,
        ...processLifecycle(proc, dir, { graceMs: 10_000 }),
      } satisfies StartedServer;
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
