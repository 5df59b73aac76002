import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, readdirSync, rmSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { freePort, LOOPBACK } from "../ports.js";
import { waitPostgresReady } from "../postgres-handshake.js";
import { type StartedServer, withPortRetry } from "../server.js";
import { findBinary } from "./binaries.js";
import { LocalProcess, processLifecycle } from "./process.js";
import { makeTempDir } from "./temp-dir.js";

const run = promisify(execFile);

/** Superuser of every PostgreSQL test server; its password (ignored by local trust auth). */
export const POSTGRES_USER = "postgres";
export const POSTGRES_PASSWORD = "locks";
/** Database every PostgreSQL test server has. */
export const POSTGRES_DATABASE = "postgres";

/** The local `postgres` and `initdb` binaries and the server version. */
export interface LocalPostgresBinary {
  readonly server: string;
  readonly initdb: string;
  readonly version: string | undefined;
}

/**
 * Finds `postgres` and `initdb` on PATH, else where Debian's `postgresql-NN` packages put them
 * (outside PATH): the newest `lib/postgresql/NN/bin` next to a `…/bin` PATH entry, e.g.
 * `/usr/lib/postgresql/15/bin` for `/usr/bin`. Like the `sbin` siblings of `findBinary`, this
 * follows PATH, so a PATH without `/usr/bin` finds no Debian server.
 */
export function localPostgresBinary(env: NodeJS.ProcessEnv): LocalPostgresBinary | undefined {
  let server = findBinary(env, "postgres");
  let initdb = findBinary(env, "initdb");
  if (!server || !initdb) {
    const debian = debianBinDir(env);
    if (debian) {
      server = join(debian, "postgres");
      initdb = join(debian, "initdb");
    }
  }
  if (!server || !initdb) return undefined;
  try {
    const out = execFileSync(server, ["--version"], { encoding: "utf8", env });
    return { server, initdb, version: /(\d+(?:\.\d+)+)/.exec(out)?.[1] };
  } catch {
    return undefined;
  }
}

function debianBinDir(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir.endsWith("/bin")) continue;
    const root = join(dirname(dir), "lib", "postgresql");
    if (!existsSync(root)) continue;
    const newest = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
      .map((name) => join(root, name, "bin"))
      .find((bin) => existsSync(join(bin, "postgres")) && existsSync(join(bin, "initdb")));
    if (newest) return newest;
  }
  return undefined;
}

/** The unprivileged account a root process runs PostgreSQL as (it refuses to run as root). */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      if (Number.isInteger(uid) && uid > 0) return { uid, gid };
    } catch {
      // no such user
    }
  }
  throw new Error('running as root and neither a "postgres" nor a "nobody" user exists');
}

/**
 * Starts `postgres` on a free loopback port with a fresh cluster in a temp dir (`initdb`
 * with trust authentication takes about a second). Run by root, the server and `initdb` run
 * as the `postgres` user (created by Debian's `postgresql-common`), else `nobody`. The data
 * directory survives restarts; a restart is a fast shutdown (SIGINT to the postmaster, which
 * checkpoints) and a new start on the same port.
 */
export async function startLocalPostgres(env: NodeJS.ProcessEnv): Promise<StartedServer> {
  const bin = localPostgresBinary(env);
  if (!bin) throw new Error("postgres/initdb not found in PATH or /usr/lib/postgresql/*/bin");
  const account = serverAccount();
  const dir = makeTempDir("postgres");
  const datadir = join(dir, "data");
  if (account) chownSync(dir, account.uid, account.gid);
  const as = account ? { uid: account.uid, gid: account.gid } : {};
  // A server started with HOME=/root as another user would complain; give it its own dir.
  const serverEnv = { ...env, HOME: dir, LC_ALL: "C" };
  try {
    await run(
      bin.initdb,
      [
        `--pgdata=${datadir}`,
        `--username=${POSTGRES_USER}`,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ],
      { env: serverEnv, cwd: dir, ...as },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(error as Error).message}`);
  }
  try {
    return await withPortRetry(async () => {
      const port = await freePort();
      const proc = new LocalProcess({
        name: "postgres",
        command: bin.server,
        args: [
          `-D${datadir}`,
          `-p${port}`,
          "-c",
          `listen_addresses=${LOOPBACK}`,
          "-c",
          `unix_socket_directories=${dir}`,
          "-c",
          "max_connections=500",
          "-c",
          "shared_buffers=32MB",
        ],
        cwd: dir,
        env: serverEnv,
        logFile: join(dir, "postgres.log"),
        readyLine: /ready to accept connections/,
        port,
        dirs: [dir],
        startTimeoutMs: 60_000,
        stopSignal: "SIGINT",
        ...as,
      });
      const start = async () => {
        await proc.start();
        await waitPostgresReady(LOOPBACK, port, 30_000);
      };
      await start();
      return {
        descriptor: {
          url: `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@${LOOPBACK}:${port}/${POSTGRES_DATABASE}`,
          host: LOOPBACK,
          port,
          mode: "local",
          ...(bin.version ? { version: bin.version } : {}),
        },
        label: `postgres${bin.version ? ` ${bin.version}` : ""}${account ? ` (uid ${account.uid})` : ""}`,
        ...processLifecycle(proc, dir, { graceMs: 30_000, start }),
      } satisfies StartedServer;
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
