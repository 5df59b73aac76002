/**
 * Entry of the child process of the "waiter killed in the queue" fairness scenario. It builds one
 * provider from the suite's child recipe, starts waiting for a key, tells the parent, and keeps
 * waiting until the parent kills it (SIGKILL: no clean-up of any kind).
 */
import { sendToParent } from "./child-ipc.js";
import { loadRecipe } from "./load-recipe.js";
import type { ChildProviderRecipe } from "./options.js";

/** Parent → child: wait for `key` with a provider built from `recipe`. */
export interface QueueMessage {
  type: "queue";
  recipe: ChildProviderRecipe;
  key: string;
}

/** Child → parent. */
export type QueuedChildMessage = { type: "waiting" } | { type: "error"; message: string };

process.on("message", (message: QueueMessage) => {
  if (message.type !== "queue") return;
  loadRecipe(message.recipe)
    .then((create) => create())
    .then(async (provider) => {
      // Never settles before the kill: the lock is held by the parent meanwhile.
      void provider
        .getLock(message.key)
        .acquire()
        .catch(() => {});
      await sendToParent({ type: "waiting" } satisfies QueuedChildMessage);
    })
    .catch(async (error: unknown) => {
      await sendToParent({
        type: "error",
        message: error instanceof Error ? error.message : String(error),
      } satisfies QueuedChildMessage);
    });
});
