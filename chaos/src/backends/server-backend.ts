/**
 * The factory every server backend's adapter uses: each worker reaches its servers through a
 * TCP proxy of its own (resets and partitions), and kills its own connections the way the
 * server's operator would, when the package has fault hooks for that.
 */
import type { LockProvider } from "@locks/core";
import type { BackendName, TestServer, TestServers } from "@locks/testing";
import { proxied, proxyHooks } from "./proxy.js";
import { found, resolveServers } from "./servers.js";
import type { ChaosBackend } from "./types.js";

/** Faults of a backend with an operator kill, by mean interval in seconds (add `restart`). */
export const SERVER_FAULTS = {
  pause: 4,
  stall: 8,
  overrun: 6,
  kill: 1,
  reset: 2,
  partition: 10,
  freeze: 25,
} as const;

/** A worker's provider, and its operator-side fault hooks when the package has them. */
export interface OpenedProvider {
  readonly provider: LockProvider;
  readonly operator?: {
    /** Kills the provider's server connections from the server side. */
    kill(): Promise<void>;
    /** Closes whatever the hooks opened. */
    close(): Promise<void>;
  };
  /** Closes what `open` opened besides the provider and the hooks (e.g. a client it passed in). */
  readonly close?: () => Promise<void>;
}

/** What differs between server backends. */
export interface ServerBackendSpec extends Pick<ChaosBackend, "name" | "fencing" | "faults"> {
  /** How many server URLs a worker needs: exactly one, or (Redlock) at least three. */
  readonly urls: "one" | "three or more";
  /**
   * Opens one worker's provider on `through` (the URLs routed through its proxies) and its
   * operator hooks on `direct` (the servers themselves); `name` names the worker.
   */
  open(through: readonly string[], direct: readonly string[], name: string): OpenedProvider;
}

/** A {@link ChaosBackend} whose workers go through proxies; see {@link ServerBackendSpec}. */
export function serverBackend(
  spec: ServerBackendSpec,
  servers: ChaosBackend["servers"],
): ChaosBackend {
  return {
    name: spec.name,
    fencing: spec.fencing,
    oneProcess: false,
    faults: spec.faults,
    servers,
    async connect(urls, name) {
      const enough = spec.urls === "one" ? urls.length === 1 : urls.length >= 3;
      if (!enough)
        throw new TypeError(`${spec.name} needs ${spec.urls} URL(s), got ${urls.length}`);
      const routes = await Promise.all(urls.map(proxied));
      const { provider, operator, close } = spec.open(
        routes.map((route) => route.url),
        urls,
        name,
      );
      const hooks = proxyHooks(routes.map((route) => route.proxy));
      return {
        provider,
        ...hooks,
        ...(operator ? { kill: () => operator.kill() } : {}),
        async close() {
          await provider.close();
          await close?.();
          await operator?.close();
          await hooks.closeProxies();
        },
      };
    },
  };
}

/**
 * The `servers` of an adapter: the URLs given on the command line, or the test server(s) `find`
 * returns, named by `label` (from the first server, e.g. its flavour) in the report.
 */
export function testServers<S extends TestServer>(
  given: string,
  backend: BackendName,
  find: (servers: TestServers) => Promise<S | readonly S[] | undefined>,
  label: (first: S) => string = () => given,
): ChaosBackend["servers"] {
  return (request) =>
    resolveServers(request, given, async () => {
      const one = await find(request.testServers);
      const servers = one === undefined || Array.isArray(one) ? one : [one as S];
      return found(
        servers,
        servers?.[0] ? label(servers[0]) : given,
        request.testServers.unavailableReason(backend),
      );
    });
}
