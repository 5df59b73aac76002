import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { MemoryLockStore } from "@locks/core";
import { backendKey } from "@locks/core/backend";
import { createProvider } from "../providers/memory.js";

describeLockProvider({
  name: "memory",
  createProvider: (options) => createProvider({ prefix: options?.prefix }),
  faults: {
    // Every provider built by createProvider shares the process-wide default store.
    breakLock: async (key) => {
      MemoryLockStore.default.breakLock(backendKey("", key));
    },
  },
  child: {
    module: fileURLToPath(new URL("../providers/memory.ts", import.meta.url)),
    exportName: "createProvider",
    options: {},
  },
});
