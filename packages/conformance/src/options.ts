import type { LockProvider } from "@locks/core";

/** JSON-serialisable value (used to tell a child process how to build a provider). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Options a scenario may pass when it asks for a fresh provider. */
export interface ProviderFactoryOptions {
  /** Key prefix for this provider (the prefix-isolation scenario uses it). */
  prefix?: string;
}

/**
 * Fault-injection hooks ("strategies"): each backend supplies what it can. A scenario that needs
 * a hook the backend lacks is reported as skipped with the missing hook's name.
 * Keys passed to hooks are the keys the scenario used with a provider created without `prefix`.
 */
export interface LockFaults {
  /** Deletes (or overwrites) the lock of `key` on the backend behind the holder's back. */
  breakLock?(key: string): Promise<void>;
  /** Kills every backend connection of `provider`, as the server sees them (e.g. `CLIENT KILL`, `KILL`). */
  dropConnections?(provider: LockProvider): Promise<void>;
  /**
   * Restarts the backend server(s) and resolves once it answers again. Lock state may or may not
   * survive; the scenario accepts either, as long as there are never two holders.
   */
  restartBackend?(): Promise<void>;
  /** Makes the backend stop answering for `ms` milliseconds (e.g. SIGSTOP / `CLIENT PAUSE`), then resume. */
  pauseBackend?(ms: number): Promise<void>;
  /**
   * Cuts `provider` off silently for `ms` milliseconds, like a half-open connection: its
   * connections stay open on its side but carry nothing in either direction, and it is not told.
   * The server may see them close (and end the sessions they hold); a server with leases may just
   * stop hearing from the provider. Resolves once the partition is in place (not when it heals);
   * after `ms` the provider's connections are reset or carry traffic again, and it must recover.
   * `TcpProxy.partition()` of `@locks/testing` does this for a provider connected through it.
   */
  partition?(provider: LockProvider, ms: number): Promise<void>;
}

/** How a child process builds the same kind of provider: `(await import(module))[exportName](options)`. */
export interface ChildProviderRecipe {
  /** Absolute path or package specifier of an ES module, importable by plain `node`. */
  module: string;
  /** Name of the exported factory; it receives `options` and returns a provider (or a promise of one). Default `"createProvider"`. */
  exportName?: string;
  /** JSON options passed to the factory. */
  options?: JsonValue;
  /**
   * Extra Node.js flags for the child, e.g. `["--import", "some-loader"]`. A `.ts`/`.mts` module
   * needs none of this when the optional peer `tsx` is installed: the child registers it itself.
   */
  execArgv?: string[];
  /** Extra environment variables for the child (merged over the parent's `process.env`). */
  env?: Record<string, string>;
}

/** Options of {@link describeLockProvider}. */
export interface DescribeLockProviderOptions {
  /** Shown in the test names, e.g. `"redis (single)"`. */
  name: string;
  /** Returns a fresh provider: one "node" of the deployment. Called many times per run. */
  createProvider(options?: ProviderFactoryOptions): LockProvider | Promise<LockProvider>;
  /** Fault hooks this backend supports. */
  faults?: LockFaults;
  /** Enables cross-process scenarios: how a child process builds a provider. */
  child?: ChildProviderRecipe;
  /** Multiplies every timing bound of the suite (slow CI machines, remote servers). Default 1. */
  timeScale?: number;
  /** Smallest ttl (ms) the backend handles precisely; expiry scenarios use multiples of it. Default 300. */
  minTtl?: number;
  /**
   * Backends without leases (`capabilities.leases` false): the longest time (ms) from the moment a
   * lock's session is gone to its handle reporting the lock lost, as your backend documents it:
   * its `validateInterval` plus the time limit of its liveness check. The partition scenario
   * allows this plus the suite's 2 s margin (both scaled by `timeScale`). Default: the larger of
   * 3 × `minTtl` and 1 s.
   */
  livenessBound?: number;
  /**
   * Scales the contention scenarios: critical sections per run are multiplied by this (default 1:
   * 1,200 in-process and 800 cross-process). Lower it for slow backends, never below what your
   * confidence needs.
   */
  contentionScale?: number;
  /**
   * The providers' queue entry ttl (ms, `wait.queueEntryTtl`): the fairness scenarios bound the
   * delay a waiter killed in the queue may cause by it. Default 3_000 (core's default).
   */
  queueEntryTtl?: number;
  /**
   * Runs only the scenarios whose test name this selects: a RegExp tested against the name (e.g.
   * `/^fencing/`) or a predicate. The others are reported as skipped with the reason
   * "not selected by options.scenarios". For debugging one guarantee; a provider conforms only
   * when the whole suite passes. The closing check for errors between scenarios always runs.
   * Default: every scenario.
   */
  scenarios?: RegExp | ((name: string) => boolean);
}
