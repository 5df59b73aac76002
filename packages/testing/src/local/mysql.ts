import { execFile, execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, LOOPBACK } from "../ports.js";
import { type StartedServer, withPortRetry } from "../server.js";
import { findBinary } from "./binaries.js";
import { LocalProcess, processLifecycle } from "./process.js";
import { makeTempDir } from "./temp-dir.js";

const run = promisify(execFile);

/** Database every MySQL test server has. */
export const MYSQL_DATABASE = "locks_test";
/** Root password of servers this package starts. */
export const MYSQL_ROOT_PASSWORD = "locks";

/** The local MySQL-compatible server binary and what it is. */
export interface LocalMysqlBinary {
  readonly server: string;
  readonly flavor: "mariadb" | "mysql";
  readonly version: string | undefined;
  /** `mariadb-install-db` / `mysql_install_db` for MariaDB; undefined for MySQL. */
  readonly installDb: string | undefined;
}

/** Finds `mariadbd` or `mysqld`, or undefined. */
export function localMysqlBinary(env: NodeJS.ProcessEnv): LocalMysqlBinary | undefined {
  const server = findBinary(env, "mariadbd", "mysqld");
  if (!server) return undefined;
  let out = "";
  try {
    out = execFileSync(server, ["--version"], { encoding: "utf8", env });
  } catch {
    return undefined;
  }
  const flavor = /mariadb/i.test(out) ? "mariadb" : "mysql";
  const version = /Ver\s+(\d+\.\d+\.\d+)/.exec(out)?.[1];
  const installDb =
    flavor === "mariadb" ? findBinary(env, "mariadb-install-db", "mysql_install_db") : undefined;
  if (flavor === "mariadb" && !installDb) return undefined;
  return { server, flavor, version, installDb };
}

function initSql(): string {
  const pw = MYSQL_ROOT_PASSWORD;
  return [
    `CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;`,
    `CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '${pw}';`,
    `ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '${pw}';`,
    `GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;`,
    `CREATE USER IF NOT EXISTS 'root'@'localhost' IDENTIFIED BY '${pw}';`,
    `ALTER USER 'root'@'localhost' IDENTIFIED BY '${pw}';`,
    "",
  ].join("\n");
}

/**
 * Starts mariadbd/mysqld on a free loopback port with a fresh datadir in a temp dir
 * (`mariadb-install-db` takes well under a second; MySQL uses `--initialize-insecure`).
 * An init file creates the database and sets the root password on every start, and the
 * datadir survives restarts.
 */
export async function startLocalMysql(env: NodeJS.ProcessEnv): Promise<StartedServer> {
  const bin = localMysqlBinary(env);
  if (!bin) throw new Error("mariadbd/mysqld (with mariadb-install-db) not found in PATH");
  const dir = makeTempDir("mysql");
  const datadir = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const userArgs = asRoot ? ["--user=root"] : [];
  const common = ["--no-defaults", `--datadir=${datadir}`, "--innodb-log-file-size=8M"];
  try {
    if (bin.flavor === "mariadb" && bin.installDb) {
      await run(
        bin.installDb,
        [
          ...common,
          ...(asRoot ? ["--user=root"] : [`--user=${userInfo().username}`]),
          "--auth-root-authentication-method=normal",
          "--skip-test-db",
          "--skip-name-resolve",
        ],
        { env, cwd: dir },
      );
    } else {
      await run(bin.server, [...common, ...userArgs, "--initialize-insecure"], { env, cwd: dir });
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initialising the ${bin.flavor} datadir failed: ${(error as Error).message}`);
  }
  const initFile = join(dir, "init.sql");
  writeFileSync(initFile, initSql());
  try {
    return await withPortRetry(async () => {
      const port = await freePort();
      const proc = new LocalProcess({
        name: bin.flavor === "mariadb" ? "mariadbd" : "mysqld",
        command: bin.server,
        args: [
          ...common,
          ...userArgs,
          `--port=${port}`,
          `--bind-address=${LOOPBACK}`,
          `--socket=${join(dir, "mysqld.sock")}`,
          `--pid-file=${join(dir, "mysqld.pid")}`,
          `--init-file=${initFile}`,
          "--skip-name-resolve",
          "--skip-log-bin",
          "--innodb-buffer-pool-size=32M",
          "--max-connections=500",
          ...(bin.flavor === "mysql" ? ["--mysqlx=OFF"] : []),
        ],
        cwd: dir,
        env,
        logFile: join(dir, "mysqld.log"),
        readyLine: /ready for connections/,
        port,
        dirs: [dir],
        startTimeoutMs: 60_000,
      });
      await proc.start();
      return {
        descriptor: {
          url: `mysql://root:${MYSQL_ROOT_PASSWORD}@${LOOPBACK}:${port}/${MYSQL_DATABASE}`,
          host: LOOPBACK,
          port,
          mode: "local",
          flavor: bin.flavor,
          ...(bin.version
            ? { version: bin.flavor === "mariadb" ? `${bin.version}-MariaDB` : bin.version }
            : {}),
        },
        label: `${bin.flavor === "mariadb" ? "mariadbd" : "mysqld"}${bin.version ? ` ${bin.version}` : ""}`,
        ...processLifecycle(proc, dir, { graceMs: 30_000 }),
      } satisfies StartedServer;
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
