import { spawn } from "node:child_process";
import type { Writable } from "node:stream";

/** What a watchdog cleans up when the process that started it dies. */
export interface WatchdogTargets {
  /** Process ids (each a process-group leader) to SIGKILL. */
  pids?: number[];
  /** Container ids to `docker rm -f`. */
  containers?: string[];
  /** Directories to delete. */
  dirs?: string[];
}

/** A running watchdog; {@link Watchdog.dismiss} ends it without cleaning up. */
export interface Watchdog {
  dismiss(): void;
}

// Runs in a detached `node -e` process, so it must be self-contained plain JavaScript.
// It learns of the owner's death from EOF on its stdin pipe (the kernel closes the pipe when
// the owner dies, even by SIGKILL), with a liveness poll of the owner pid as a backstop.
const WATCHDOG_SOURCE = `
const { spawnSync } = require("node:child_process");
const { rmSync } = require("node:fs");
const t = JSON.parse(process.argv[1]);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
let done = false;
function cleanup() {
  if (done) return;
  done = true;
  for (const pid of t.pids) {
    for (const target of [-pid, pid]) {
      try { process.kill(target, "SIGCONT"); } catch {}
      try { process.kill(target, "SIGKILL"); } catch {}
    }
  }
  if (t.containers.length > 0) {
    try { spawnSync(t.docker, ["rm", "-f", "-v", ...t.containers], { stdio: "ignore", timeout: 30000 }); } catch {}
  }
  for (const dir of t.dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
}
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
process.on("SIGTERM", () => process.exit(0));
process.stdin.on("data", () => {});
process.stdin.on("end", cleanup);
process.stdin.on("close", cleanup);
process.stdin.on("error", cleanup);
setInterval(() => {
  if (!alive(t.owner)) cleanup();
  else if (t.pids.length > 0 && t.containers.length === 0 && !t.pids.some(alive)) process.exit(0);
}, 500);
`;

/**
 * Starts a tiny detached process that kills `targets` when the current process dies, so no
 * server outlives an interrupted or crashed test run.
 */
export function startWatchdog(targets: WatchdogTargets): Watchdog {
  const payload = JSON.stringify({
    owner: process.pid,
    pids: targets.pids ?? [],
    containers: targets.containers ?? [],
    dirs: targets.dirs ?? [],
    docker: process.env.LOCKS_DOCKER_CLI ?? "docker",
  });
  const child = spawn(process.execPath, ["-e", WATCHDOG_SOURCE, payload], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.on("error", () => {});
  child.unref();
  const stdin = child.stdin as (Writable & { unref?: () => void }) | null;
  stdin?.on("error", () => {});
  stdin?.unref?.();
  // The pipe handle itself must not keep the owner's event loop alive.
  const handle = (stdin as unknown as { _handle?: { unref?: () => void } } | null)?._handle;
  handle?.unref?.();
  return {
    dismiss() {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    },
  };
}
