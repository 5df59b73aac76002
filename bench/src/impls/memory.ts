/** In-process implementations: our MemoryLockProvider and the floor (a bare FIFO mutex per key). */
import { MemoryLockProvider, MemoryLockStore } from "@locks/core";
import { providerImpl } from "./provider.js";
import { defineImpl, type Held, type ImplFactory } from "./types.js";

const GROUP = "1 process";

/**
 * The floor: a Map of held keys and a FIFO of waiters per key, nothing else. Every instance made
 * in one process shares the map, as providers share one store (the in-process "server").
 */
function floor(): ImplFactory {
  const waiters = new Map<string, Array<() => void>>();
  return defineImpl(
    {
      id: "floor: Map + FIFO of waiters",
      role: "floor",
      group: GROUP,
      settings: "no leases, no tokens, no timers",
      traits: { distributed: false },
    },
    async () => {
      const release = (key: string) => {
        const queue = waiters.get(key)!;
        const next = queue.shift();
        if (next) next();
        else waiters.delete(key);
      };
      return {
        acquire(key, signal): Promise<Held> {
          const held: Held = { release: async () => release(key) };
          const queue = waiters.get(key);
          if (!queue) {
            waiters.set(key, []);
            return Promise.resolve(held);
          }
          return new Promise((resolve, reject) => {
            const grant = () => {
              signal.removeEventListener("abort", abort);
              resolve(held);
            };
            const abort = () => {
              const index = queue.indexOf(grant);
              if (index >= 0) queue.splice(index, 1);
              reject(signal.reason);
            };
            signal.addEventListener("abort", abort, { once: true });
            queue.push(grant);
          });
        },
        close: async () => {},
      };
    },
  );
}

/**
 * Ours and the floor. The instances of one process share one store, so that "each worker its own
 * provider" means several providers on one store (several nodes on one server), not unrelated locks.
 */
export function memoryImpls(): ImplFactory[] {
  const store = new MemoryLockStore();
  return [
    defineImpl(
      {
        id: "@locks/core MemoryLockProvider",
        role: "ours",
        group: GROUP,
        settings: "defaults (ttl 30 s, autoExtend)",
        traits: { distributed: false },
      },
      async () => providerImpl(new MemoryLockProvider({ store })),
    ),
    floor(),
  ];
}
