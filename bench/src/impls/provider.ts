import type { LockProvider } from "@locks/core";
import type { LockImpl } from "./types.js";

/** Adapts one of our providers: `getLock(key).acquire({ signal })`, then `handle.release()`. */
export function providerImpl(provider: LockProvider): Pick<LockImpl, "acquire" | "close"> {
  return {
    acquire: (key, signal) => provider.getLock(key).acquire({ signal }),
    close: () => provider.close(),
  };
}
