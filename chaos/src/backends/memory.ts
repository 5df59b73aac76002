/**
 * The in-memory provider: its state lives in one process, so every worker runs in that process
 * (each with its own provider on the process-wide store). Faults are those a single process
 * meets: event-loop stalls and sections that overrun their lease.
 */
import { MemoryLockProvider } from "@locks/core";
import type { ChaosBackend } from "./types.js";

export const memory: ChaosBackend = {
  name: "memory",
  fencing: true,
  oneProcess: true,
  faults: { stall: 5, overrun: 5 },
  servers: async () => ({ urls: [], version: "in-process", mode: "process", controls: [] }),
  async connect() {
    const provider = new MemoryLockProvider();
    return { provider, close: () => provider.close() };
  },
};
