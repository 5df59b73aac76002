/**
 * Entry of the child processes forked by the cross-process contention scenario. Each child builds
 * its own providers from a {@link ChildProviderRecipe}, waits for the parent's "go", runs its
 * critical sections (writing to the parent's fenced resource over IPC while it holds the lock) and
 * reports its hold intervals on the machine's shared monotonic clock.
 */
import type { LockProvider } from "@locks/core";
import { runChild, sendToParent } from "./child-ipc.js";
import type { ChildHold, ChildMessage, ParentMessage, RunMessage } from "./child-protocol.js";
import { criticalSection } from "./critical-section.js";
import { loadRecipe } from "./load-recipe.js";

const pending = new Map<number, (accepted: boolean) => void>();
let nextId = 0;
let go: () => void;
const started = new Promise<void>((resolve) => {
  go = resolve;
});

function send(message: ChildMessage): Promise<void> {
  return sendToParent(message);
}

async function build(run: RunMessage): Promise<LockProvider[]> {
  const create = await loadRecipe(run.recipe);
  const providers: LockProvider[] = [];
  for (let i = 0; i < run.providers; i++) providers.push(await create());
  return providers;
}

const resource = {
  write(token: bigint | undefined, holder: string): Promise<boolean> {
    const id = nextId++;
    return new Promise<boolean>((resolve) => {
      pending.set(id, resolve);
      void send({ type: "write", id, token, holder });
    });
  },
};

async function main(run: RunMessage): Promise<void> {
  const providers = await build(run);
  await send({ type: "ready" });
  await started;
  const holds: ChildHold[] = [];
  let lost = 0;
  await Promise.all(
    providers.map(async (provider, p) => {
      const holder = `child ${run.child} / provider ${p}`;
      for (let i = 0; i < run.iterations; i++) {
        const section = await criticalSection(provider, run.key, holder, run.timeout, resource);
        holds.push({ holder, start: section.start, end: section.end, token: section.token });
        if (section.lost) lost++;
      }
    }),
  );
  await Promise.allSettled(providers.map((provider) => provider.close()));
  await send({ type: "done", holds, lost });
}

process.on("message", (message: ParentMessage) => {
  if (message.type === "run") {
    runChild(() => main(message));
  } else if (message.type === "go") {
    go();
  } else if (message.type === "ack") {
    pending.get(message.id)?.(message.accepted);
    pending.delete(message.id);
  }
});
