/** IPC helpers shared by the suite's child processes (child.ts, paused-child.ts). */

/** Sends `message` to the parent; resolves once it is written (at once without a parent). */
export function sendToParent(message: object): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * Runs `main`, reports a failure to the parent as `{ type: "error", message }`, then disconnects.
 * Without its parent a child has nobody to report to, so it leaves when the parent goes.
 */
export function runChild(main: () => Promise<void>): void {
  main().then(
    () => process.disconnect?.(),
    async (error: unknown) => {
      await sendToParent({
        type: "error",
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.disconnect?.();
    },
  );
}

process.on("disconnect", () => process.exit(0));
