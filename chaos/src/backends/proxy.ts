/**
 * Routes a worker's traffic through `@locks/testing`'s TCP proxy, so that the coordinator can
 * reset or partition one worker's connections on any backend, server given by URL included.
 */
import { startTcpProxy, type TcpProxy } from "@locks/testing";

/** A URL rewritten to go through a proxy, and the proxy. */
export interface Proxied {
  readonly url: string;
  readonly proxy: TcpProxy;
}

/** Starts a proxy to the host and port of `url` and returns `url` pointing at the proxy. */
export async function proxied(url: string): Promise<Proxied> {
  const parsed = new URL(url);
  const defaultPort: Record<string, number> = {
    "redis:": 6379,
    "rediss:": 6379,
    "mysql:": 3306,
    "mongodb:": 27017,
    "postgres:": 5432,
    "postgresql:": 5432,
  };
  const port = parsed.port ? Number(parsed.port) : defaultPort[parsed.protocol];
  if (port === undefined || parsed.hostname.includes(",")) {
    throw new TypeError(`cannot proxy ${parsed.protocol}// URLs with several hosts: ${url}`);
  }
  const proxy = await startTcpProxy({ host: parsed.hostname.replace(/^\[|\]$/g, ""), port });
  parsed.hostname = proxy.host;
  parsed.port = String(proxy.port);
  return { url: parsed.toString(), proxy };
}

/** Fault hooks over a worker's proxies. */
export function proxyHooks(proxies: readonly TcpProxy[]) {
  return {
    reset: () => {
      for (const proxy of proxies) proxy.dropConnections();
    },
    partition: () => {
      for (const proxy of proxies) proxy.pause();
    },
    heal: () => {
      for (const proxy of proxies) proxy.resume();
    },
    closeProxies: () => Promise.all(proxies.map((proxy) => proxy.close())),
  };
}
