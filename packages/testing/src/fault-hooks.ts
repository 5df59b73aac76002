import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
import type { TestServer } from "./types.js";

/**
 * Server-level fault hooks in the shape of `@locks/conformance`'s `faults` (this package does not
 * depend on it): each present only when it can be done for real.
 */
export interface ServerFaultHooks {
  /** Restarts every server and resolves once they answer again. */
  restartBackend?(): Promise<void>;
  /** Freezes every server for `ms` milliseconds, then resumes them; resolves after resuming. */
  pauseBackend?(ms: number): Promise<void>;
}

/** How to pause servers that this run did not start (no `control`). */
export interface ServerFaultFallback {
  /** A proxy every provider connects through: its pause stands in for a frozen server. */
  proxy?: TcpProxy | undefined;
  /** Or a backend's own way to stop answering for `ms` ms (e.g. Redis `CLIENT PAUSE`). */
  pause?(ms: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Restart and pause hooks for test servers: through their `control` when this run started them
 * (all servers restart or freeze together, e.g. a Redlock quorum), else `pauseBackend` through
 * the fallback and no `restartBackend` (the suite then skips the restart scenario, saying why).
 *
 * @example
 * describeLockProvider({ name, createProvider, faults: { ...serverFaults(server, { proxy }), breakLock } });
 */
export function serverFaults(
  servers: TestServer | readonly TestServer[],
  fallback: ServerFaultFallback = {},
): ServerFaultHooks {
  const list: readonly TestServer[] = Array.isArray(servers) ? servers : [servers as TestServer];
  if (list.length === 0) throw new RangeError("serverFaults(servers): no servers given");
  const controls = list.map((server) => server.control);
  if (controls.every((control) => control !== undefined)) {
    return {
      async restartBackend() {
        await Promise.all(controls.map((control) => control!.restart()));
      },
      async pauseBackend(ms) {
        await Promise.all(controls.map((control) => control!.pause()));
        try {
          await sleep(ms);
        } finally {
          await Promise.all(controls.map((control) => control!.resume()));
        }
      },
    };
  }
  const { proxy, pause } = fallback;
  if (pause) return { pauseBackend: (ms) => pause(ms) };
  if (proxy) {
    return {
      async pauseBackend(ms) {
        proxy.pause();
        try {
          await sleep(ms);
        } finally {
          proxy.resume();
        }
      },
    };
  }
  return {};
}

/** One {@link TcpProxy} per provider; see {@link providerProxies}. */
export interface ProviderProxies<P extends object> {
  /** Starts a proxy to the target and builds a provider through it with `build(proxy)`. */
  create(build: (proxy: TcpProxy) => P | Promise<P>): Promise<P>;
  /** The proxy `provider` was built through. */
  of(provider: P): TcpProxy;
  /** `@locks/conformance`'s `partition` hook: a half-open partition of `provider` for `ms` ms. */
  partition(provider: P, ms: number): Promise<void>;
  /** Closes every proxy started so far. */
  close(): Promise<void>;
}

/**
 * A proxy per provider in front of `target`, so that a fault can cut off one provider (one node)
 * while the others keep talking to the server: the `partition` hook of the conformance suite.
 *
 * @example
 * const proxies = providerProxies({ host: server.host, port: server.port });
 * describeLockProvider({
 *   createProvider: () => proxies.create((proxy) => createMyProvider({ host: proxy.host, port: proxy.port })),
 *   faults: { partition: proxies.partition },
 * });
 * afterAll(() => proxies.close());
 */
export function providerProxies<P extends object>(target: {
  host: string;
  port: number;
}): ProviderProxies<P> {
  const byProvider = new WeakMap<P, TcpProxy>();
  const all = new Set<TcpProxy>();
  const of = (provider: P) => {
    const proxy = byProvider.get(provider);
    if (!proxy) throw new Error("providerProxies: this provider was not built through create()");
    return proxy;
  };
  return {
    async create(build) {
      const proxy = await startTcpProxy(target);
      all.add(proxy);
      try {
        const provider = await build(proxy);
        byProvider.set(provider, proxy);
        return provider;
      } catch (error) {
        all.delete(proxy);
        await proxy.close();
        throw error;
      }
    },
    of,
    async partition(provider, ms) {
      of(provider).partition(ms);
    },
    async close() {
      const proxies = [...all];
      all.clear();
      await Promise.all(proxies.map((proxy) => proxy.close()));
    },
  };
}
