/**
 * Entry of the child process of the "paused holder" scenario. It builds one provider from the
 * suite's child recipe, takes a lock, tells the parent, then blocks its own event loop for longer
 * than the lease (a stop-the-world pause, a swapped VM): no timer, renewal or socket callback runs.
 * After waking it reports what its handle says and everything left unhandled in the process.
 */
import { runChild, sendToParent } from "./child-ipc.js";
import { describeError } from "./error-match.js";
import { loadRecipe } from "./load-recipe.js";
import type { HoldMessage, PausedChildMessage } from "./paused-protocol.js";

const unhandled: string[] = [];
process.on("uncaughtException", (error) =>
  unhandled.push(`uncaught exception: ${describeError(error)}`),
);
process.on("unhandledRejection", (reason) =>
  unhandled.push(`unhandled rejection: ${describeError(reason)}`),
);

function send(message: PausedChildMessage): Promise<void> {
  return sendToParent(message);
}

function className(value: unknown): string {
  return value instanceof Error ? value.constructor.name : String(value);
}

/** Blocks the whole thread: nothing else in this process runs meanwhile. */
function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

async function main(message: HoldMessage): Promise<void> {
  const provider = await (await loadRecipe(message.recipe))();
  const handle = await provider.getLock(message.key, { ttl: message.ttl }).acquire();
  await send({ type: "held" });
  blockEventLoop(message.pauseMs);
  const wokeAt = performance.now();
  const lostAt = await new Promise<number | undefined>((resolve) => {
    if (handle.signal.aborted) return resolve(wokeAt);
    const timer = setTimeout(() => resolve(undefined), message.settleMs);
    handle.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(performance.now());
    });
  });
  let extend = "renewed";
  await handle.extend().catch((error: unknown) => {
    extend = className(error);
  });
  await handle.release().catch((error: unknown) => {
    unhandled.push(`release() after waking threw: ${describeError(error)}`);
  });
  await provider.close();
  // What the close set off (socket errors, late rejections) surfaces on the next turns.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await send({
    type: "woke",
    lost: lostAt !== undefined,
    lostAfterWakeMs: lostAt === undefined ? undefined : lostAt - wokeAt,
    reason: handle.signal.aborted ? className(handle.signal.reason) : undefined,
    extend,
    unhandled,
  });
}

process.on("message", (message: HoldMessage) => {
  if (message.type === "hold") runChild(() => main(message));
});
