import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildProviderRecipe } from "./options.js";
import type { QueuedChildMessage, QueueMessage } from "./queued-child-entry.js";

/** A child process whose provider waits for a key until the process is killed. */
export interface QueuedChild {
  /** SIGKILLs the child: it dies in the queue, without any clean-up. */
  kill(): Promise<void>;
}

/**
 * Forks a child that builds one provider from `recipe` and waits for `key`; resolves once the
 * child has called `acquire()`. The caller still has to give its first attempt time to reach the
 * server (nothing in the contract signals "now queued").
 */
export async function spawnQueuedChild(
  recipe: ChildProviderRecipe,
  key: string,
  deadline: number,
): Promise<QueuedChild> {
  // Built next to this module (dist/queued-child-entry.js), like the other child entries.
  const entry = fileURLToPath(new URL("./queued-child-entry.js", import.meta.url));
  const child: ChildProcess = fork(entry, [], {
    execArgv: recipe.execArgv ?? [],
    env: { ...process.env, ...recipe.env },
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`queued child did not start waiting within ${deadline} ms`)),
        deadline,
      );
      child.on("message", (message: QueuedChildMessage) => {
        if (message.type === "waiting") {
          clearTimeout(timer);
          resolve();
        }
        if (message.type === "error") reject(new Error(`queued child failed: ${message.message}`));
      });
      child.once("exit", (code, signal) =>
        reject(new Error(`queued child exited (code ${code}, signal ${signal}) before waiting`)),
      );
      const queue: QueueMessage = { type: "queue", recipe, key };
      child.send(queue);
    });
  } catch (error) {
    await kill();
    throw error;
  }
  return { kill };
}
