import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildHold, ChildMessage, RunMessage } from "./child-protocol.js";
import { FencedResource } from "./fenced-resource.js";
import { HoldHistory } from "./hold-history.js";
import type { ChildProviderRecipe } from "./options.js";

/** What {@link runCrossProcess} needs. */
export interface CrossProcessOptions {
  recipe: ChildProviderRecipe;
  key: string;
  /** Number of child processes (nodes on separate event loops). */
  children: number;
  /** Providers built by each child. */
  providersPerChild: number;
  /** Critical sections per provider. */
  iterations: number;
  /** Acquire timeout per section (ms). */
  acquireTimeout: number;
  /** Whole-run deadline (ms): the children are killed after it. */
  deadline: number;
}

/** What the children did, checked by the parent. */
export interface CrossProcessResult {
  history: HoldHistory;
  resource: FencedResource;
  sections: number;
  lostDuringSection: number;
  durationMs: number;
}

/** Path of the child entry: built next to this module (dist/child.js). */
function childEntry(): string {
  return fileURLToPath(new URL("./child.js", import.meta.url));
}

/**
 * Forks the children, lets them contend for `key` at the same moment, serves their writes to one
 * fenced resource (in this process, so writes are ordered as they really happened) and collects
 * their hold intervals.
 */
export async function runCrossProcess(options: CrossProcessOptions): Promise<CrossProcessResult> {
  const resource = new FencedResource();
  const history = new HoldHistory();
  const children: ChildProcess[] = [];
  let ready = 0;
  let lostDuringSection = 0;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const finished = Array.from({ length: options.children }, (_, index) => {
      const child = fork(childEntry(), [], {
        execArgv: options.recipe.execArgv ?? [],
        env: { ...process.env, ...options.recipe.env },
        serialization: "advanced", // carries bigint fencing tokens
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      children.push(child);
      return new Promise<ChildHold[]>((resolve, reject) => {
        let holds: ChildHold[] | undefined;
        child.on("message", (message: ChildMessage) => {
          switch (message.type) {
            case "ready":
              if (++ready === options.children) for (const c of children) c.send({ type: "go" });
              break;
            case "write":
              child.send({
                type: "ack",
                id: message.id,
                accepted: resource.write(message.token, message.holder),
              });
              break;
            case "done":
              holds = message.holds;
              lostDuringSection += message.lost;
              resolve(holds);
              break;
            case "error":
              reject(new Error(`child ${index} failed: ${message.message}`));
              break;
          }
        });
        child.on("error", reject);
        child.on("exit", (code, signal) => {
          if (!holds)
            reject(
              new Error(`child ${index} exited (code ${code}, signal ${signal}) before reporting`),
            );
        });
        const run: RunMessage = {
          type: "run",
          recipe: options.recipe,
          key: options.key,
          child: index,
          providers: options.providersPerChild,
          iterations: options.iterations,
          timeout: options.acquireTimeout,
        };
        child.send(run);
      });
    });
    // A child that fails after the run is already decided must not surface as an unhandled rejection.
    for (const promise of finished) promise.catch(() => {});
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`cross-process run did not finish within ${options.deadline} ms`)),
        options.deadline,
      );
    });
    const all = await Promise.race([Promise.all(finished), deadline]);
    let sections = 0;
    for (const holds of all) {
      for (const hold of holds) history.record(hold);
      sections += holds.length;
    }
    return {
      history,
      resource,
      sections,
      lostDuringSection,
      durationMs: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  }
}
