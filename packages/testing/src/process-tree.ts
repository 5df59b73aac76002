import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";

/** A paused process tree; see {@link pauseProcessTree}. */
export interface PausedProcessTree {
  /** The process ids that were stopped, the root first. */
  readonly pids: readonly number[];
  /** Sends SIGCONT to every stopped process. Idempotent. */
  resume(): Promise<void>;
}

/** Parent of each process, from /proc on Linux, else from `ps`. */
async function parents(): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  try {
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = await readFile(`/proc/${entry}/stat`, "utf8");
        // "pid (comm) state ppid …": comm may contain spaces and parentheses.
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        map.set(Number(entry), ppid);
      } catch {
        // exited meanwhile
      }
    }
    if (map.size > 0) return map;
  } catch {
    // no /proc: fall back to ps
  }
  const out = await new Promise<string>((resolve, reject) =>
    execFile("ps", ["-A", "-o", "pid=,ppid="], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
  for (const line of out.split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid !== undefined && ppid !== undefined && !Number.isNaN(pid)) map.set(pid, ppid);
  }
  return map;
}

/** `pid` and all its descendants, the root first. */
export async function processTree(pid: number): Promise<number[]> {
  const byParent = new Map<number, number[]>();
  for (const [child, parent] of await parents()) {
    const list = byParent.get(parent) ?? [];
    list.push(child);
    byParent.set(parent, list);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(byParent.get(next) ?? []));
  }
  return tree;
}

/**
 * Freezes a process and every descendant with SIGSTOP, as a stop-the-world pause, a frozen VM or
 * a hung server would: connections stay open, nothing answers. Works for any server your test
 * started (a `pg_ctl` postmaster and its backends, a `mongod`, a Node.js child holding a lock).
 * The root is stopped first so that it cannot start new children meanwhile. Resume with
 * {@link PausedProcessTree.resume}; a process that exited meanwhile is skipped.
 *
 * @example
 * const paused = await pauseProcessTree(server.pid);
 * await sleep(ms);
 * await paused.resume();
 */
export async function pauseProcessTree(pid: number): Promise<PausedProcessTree> {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new RangeError(`pauseProcessTree(pid): pid must be a positive integer, got ${pid}`);
  }
  const signal = (target: number, name: NodeJS.Signals) => {
    try {
      process.kill(target, name);
      return true;
    } catch {
      return false; // exited meanwhile
    }
  };
  if (!signal(pid, "SIGSTOP")) throw new Error(`pauseProcessTree: no process ${pid}`);
  const stopped = [pid];
  // Children started between the listing and the stop are caught by a second pass.
  for (let pass = 0; pass < 2; pass++) {
    for (const child of await processTree(pid)) {
      if (!stopped.includes(child) && signal(child, "SIGSTOP")) stopped.push(child);
    }
  }
  let resumed: Promise<void> | undefined;
  return {
    pids: stopped,
    resume() {
      resumed ??= (async () => {
        for (const target of [...stopped].reverse()) signal(target, "SIGCONT");
      })();
      return resumed;
    },
  };
}
