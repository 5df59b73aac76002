import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildProviderRecipe } from "./options.js";
import type { PausedChildMessage, WokeReport } from "./paused-protocol.js";

/** A child process holding a lock that will block its event loop (see paused-child.ts). */
export interface PausedHolder {
  /** Resolves once the child holds the lock and is about to block. */
  readonly held: Promise<void>;
  /** Resolves with the child's report after it woke, released and closed. */
  readonly woke: Promise<WokeReport>;
  /** Kills the child if it is still running. */
  kill(): void;
}

/** Forks a paused holder; `deadline` (ms) bounds the whole child's life. */
export function startPausedHolder(options: {
  recipe: ChildProviderRecipe;
  key: string;
  ttl: number;
  pauseMs: number;
  settleMs: number;
  deadline: number;
}): PausedHolder {
  const child = fork(fileURLToPath(new URL("./paused-child.js", import.meta.url)), [], {
    execArgv: options.recipe.execArgv ?? [],
    env: { ...process.env, ...options.recipe.env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let onHeld!: () => void;
  let onFailure!: (error: Error) => void;
  const held = new Promise<void>((resolve, reject) => {
    onHeld = resolve;
    onFailure = reject;
  });
  const timer = setTimeout(() => child.kill(), options.deadline);
  const woke = new Promise<WokeReport>((resolve, reject) => {
    const fail = (error: Error) => {
      onFailure(error);
      reject(error);
    };
    child.on("message", (message: PausedChildMessage) => {
      if (message.type === "held") onHeld();
      else if (message.type === "woke") resolve(message);
      else fail(new Error(`the paused holder failed: ${message.message}`));
    });
    child.on("error", fail);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`the paused holder exited (code ${code}, signal ${signal}) before reporting`));
    });
  });
  // Settled by whoever awaits them; a failure after the scenario decided must not go unhandled.
  held.catch(() => {});
  woke.catch(() => {});
  child.send({
    type: "hold",
    recipe: options.recipe,
    key: options.key,
    ttl: options.ttl,
    pauseMs: options.pauseMs,
    settleMs: options.settleMs,
  });
  return {
    held,
    woke,
    kill() {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
