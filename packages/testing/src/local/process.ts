import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { canConnect, LOOPBACK } from "../ports.js";
import type { ServerControl } from "../types.js";
import { startWatchdog, type Watchdog } from "../watchdog.js";

/** How to run one server process. */
export interface ProcessSpec {
  /** Label used in errors, e.g. `redis-server`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** File that receives stdout and stderr (appended across restarts). */
  readonly logFile: string;
  /** A log line that means "ready"; the port must also accept connections. */
  readonly readyLine?: RegExp;
  readonly port: number;
  /** Directories the watchdog deletes if the owning process dies. */
  readonly dirs: readonly string[];
  /** How long a start may take, in ms. */
  readonly startTimeoutMs?: number;
  /** Run as this user id (e.g. a server that refuses to run as root); default: ours. */
  readonly uid?: number;
  /** Run with this group id; default: ours. */
  readonly gid?: number;
  /**
   * Signal that asks the server to stop, sent to the leader only (a server that stops its own
   * child processes, such as PostgreSQL's postmaster). Default: SIGTERM to the whole group.
   */
  readonly stopSignal?: NodeJS.Signals;
}

const all = new Set<LocalProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort on a normal exit: synchronous kills only (the watchdog covers crashes).
  process.once("exit", () => {
    for (const p of all) p.killNow();
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** A server process in its own process group, watched by a watchdog. */
export class LocalProcess {
  #child: ChildProcess | undefined;
  #watchdog: Watchdog | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns the process and resolves once it is ready. */
  async start(): Promise<void> {
    const { spec } = this;
    let offset = 0;
    try {
      offset = statSync(spec.logFile).size;
    } catch {
      // new file
    }
    const fd = openSync(spec.logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        detached: true,
        stdio: ["ignore", fd, fd],
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
        ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      });
    } finally {
      closeSync(fd);
    }
    let exitInfo: string | undefined;
    this.#exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        exitInfo = `exited with ${signal ?? `code ${code}`}`;
        resolve();
      });
      child.once("error", (error) => {
        exitInfo = `failed to spawn: ${error.message}`;
        resolve();
      });
    });
    child.unref();
    this.#child = child;
    all.add(this);
    installExitHook();
    if (child.pid !== undefined) {
      this.#watchdog = startWatchdog({ pids: [child.pid], dirs: [...spec.dirs] });
    }
    const deadline = Date.now() + (spec.startTimeoutMs ?? 30_000);
    for (;;) {
      if (exitInfo !== undefined) {
        throw new Error(`${spec.name} ${exitInfo} before it was ready:\n${tail(spec.logFile)}`);
      }
      let logged = spec.readyLine === undefined;
      if (!logged && spec.readyLine) {
        try {
          const text = readFileSync(spec.logFile).subarray(offset).toString("utf8");
          logged = spec.readyLine.test(text);
        } catch {
          // not written yet
        }
      }
      if (logged && (await canConnect(LOOPBACK, spec.port, 500))) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `${spec.name} was not ready on ${LOOPBACK}:${spec.port} after ${spec.startTimeoutMs ?? 30_000} ms:\n${tail(spec.logFile)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (after SIGCONT, in case it is paused), SIGKILL after `graceMs` (ms). */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.#child;
    if (!child || child.pid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      this.#signal("SIGCONT");
      if (this.spec.stopSignal) this.#signalLeader(this.spec.stopSignal);
      else this.#signal("SIGTERM");
      const timer = setTimeout(() => this.#signal("SIGKILL"), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#watchdog?.dismiss();
    this.#watchdog = undefined;
    this.#child = undefined;
    all.delete(this);
  }

  pause(): void {
    this.#signal("SIGSTOP");
  }

  resume(): void {
    this.#signal("SIGCONT");
  }

  /** Synchronous SIGKILL for exit hooks. */
  killNow(): void {
    this.#signal("SIGCONT");
    this.#signal("SIGKILL");
  }

  #signalLeader(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }
}

/**
 * The `control` and `stop` of a server that is one local process in its own temp dir: restart
 * stops the process (within `graceMs` ms) and runs `start` again on the same port, pause and
 * resume are SIGSTOP / SIGCONT, and `stop` (idempotent) also removes the temp dir.
 */
export function processLifecycle(
  proc: LocalProcess,
  dir: string,
  options: { graceMs?: number; start?: () => Promise<void> } = {},
): { control: ServerControl; stop(): Promise<void> } {
  const start = options.start ?? (() => proc.start());
  let stopped = false;
  return {
    control: {
      async restart() {
        await proc.stop(options.graceMs);
        await start();
      },
      async pause() {
        proc.pause();
      },
      async resume() {
        proc.resume();
      },
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc.stop(options.graceMs);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
