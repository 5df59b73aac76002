import {
  BackendLockProvider,
  checkDuration,
  checkOptionKeys,
  type LockBackend,
  type LockProviderOptions,
} from "@locks/core/backend";
import type { ClusterOptions, RedisOptions } from "ioredis";
import { Cluster, Redis } from "ioredis";
import type { RedisConnection } from "./connection.js";
import { drift } from "./drift.js";
import { RedlockBackend } from "./redlock.js";
import { ServerOrClusterBackend } from "./server-or-cluster-backend.js";
import { newToken } from "./token.js";

/** A Cluster startup node: `"host:port"`, a port, or `{ host, port }`. */
export type ClusterStartupNode = string | number | { host?: string; port?: number };

/**
 * The ioredis module used to open connections from `url`, `urls` or `cluster` nodes. Default: the
 * `ioredis` this package resolves. Pass your own (`await import("ioredis")`) to use another copy.
 */
export interface IoredisModule {
  Redis: new (url: string, options: RedisOptions) => unknown;
  Cluster: new (nodes: ClusterStartupNode[], options: ClusterOptions) => unknown;
}

/**
 * Options of {@link createRedisLockProvider}. Give exactly one of `url`, `client` (one server),
 * `urls`, `clients` (Redlock over independent servers) or `cluster` (Redis Cluster).
 */
export interface RedisLockProviderOptions extends LockProviderOptions {
  /** One Redis server, e.g. `"redis://localhost:6379/0"`. The provider opens and closes its connections. */
  url?: string;
  /** One Redis server through your ioredis `Redis` client. Never closed by the provider. */
  client?: RedisConnection;
  /** Redlock: URLs of N independent servers (not replicas of each other; N odd, 3 or 5). */
  urls?: readonly string[];
  /** Redlock: your ioredis clients of N independent servers. Never closed by the provider. */
  clients?: readonly RedisConnection[];
  /**
   * Redis Cluster: startup nodes (the provider opens and closes an ioredis `Cluster`), or your own
   * ioredis `Cluster` instance (never closed by the provider).
   */
  cluster?: readonly ClusterStartupNode[] | RedisConnection;
  /** ioredis options for connections opened from `url`/`urls` (and `redisOptions` of a Cluster). Default `{}`. */
  redisOptions?: RedisOptions;
  /** ioredis Cluster options for a Cluster opened from startup nodes. Default `{}`. */
  clusterOptions?: ClusterOptions;
  /**
   * Clock-drift allowance as a fraction of the ttl: a lease is trusted for
   * `ttl − ttl × driftFactor − driftFixed` ms (Redlock: also minus the time the attempt took).
   * Default 0.01.
   */
  driftFactor?: number;
  /** Fixed clock-drift allowance in milliseconds, added to `ttl × driftFactor`. Default 2. */
  driftFixed?: number;
  /**
   * Redlock: longest wait (ms) for one server's reply before it counts as unreachable for this
   * operation. A server whose connection has been down for longer than this counts as
   * unreachable at once.
   * Default 500.
   */
  nodeTimeout?: number;
  /**
   * Single server and Cluster: longest wait (ms) for the server to confirm a release. Past it,
   * `release()` of a lost handle resolves and of a held one rejects `LockBackendError`; the
   * owner-checked release is still sent if the connection comes back, and the lock expires after
   * its ttl anyway. (Without a bound, ioredis would hold the command for its ~15 s of reconnection
   * attempts during an outage, and leaving an `await using` block would hang that long.)
   * Renewals likewise never wait past the lease's end. Redlock bounds each server by `nodeTimeout`.
   * Default 2_000.
   */
  releaseTimeout?: number;
  /**
   * Longest wait (ms) for a SUBSCRIBE confirmation before a waiter relies on polling alone.
   * Default 1_000.
   */
  subscribeTimeout?: number;
  /**
   * `CLIENT SETNAME` of the connections this provider opens (visible in `CLIENT LIST`).
   * Default `"locks-"` + random characters. Connections you pass in keep their own name.
   */
  connectionName?: string;
  /** The ioredis module to open connections with. Default: the `ioredis` package. */
  ioredis?: IoredisModule;
}

/** The keys of {@link RedisLockProviderOptions} besides core's provider options. */
const REDIS_OPTION_KEYS: readonly string[] = [
  "url",
  "client",
  "urls",
  "clients",
  "cluster",
  "redisOptions",
  "clusterOptions",
  "driftFactor",
  "driftFixed",
  "nodeTimeout",
  "subscribeTimeout",
  "releaseTimeout",
  "connectionName",
  "ioredis",
];

/** Which Redis topology a provider uses. */
export type RedisTopology = "single" | "redlock" | "cluster";

/** Default polling fallback while waiting: waiters are woken by pub/sub; polling only covers misses. */
export const REDIS_WAIT_TUNING = { minDelay: 50, maxDelay: 1_000 } as const;

/** A lock provider over Redis; see {@link createRedisLockProvider}. */
export class RedisLockProvider extends BackendLockProvider {
  /** The topology chosen from the options. */
  readonly topology: RedisTopology;
  /** Name (`CLIENT SETNAME`) of the connections this provider opened. */
  readonly connectionName: string;

  constructor(options: RedisLockProviderOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("createRedisLockProvider needs an options object");
    }
    const built = buildBackend(options);
    try {
      super(built.backend, options);
    } catch (error) {
      // Bad core options (ttl, prefix, wait…): close what was opened, then report.
      void built.backend.close().catch(() => {});
      throw error;
    }
    this.topology = built.topology;
    this.connectionName = built.connectionName;
  }
}

/**
 * Creates a lock provider over Redis: one server (`url`/`client`, with fencing tokens), Redlock over
 * N independent servers (`urls`/`clients`, no fencing), or Redis Cluster (`cluster`, with fencing).
 *
 * @example
 * const locks = createRedisLockProvider({ url: "redis://localhost:6379" });
 * await using handle = await locks.getLock("feeds:generate").acquire({ timeout: 5_000 });
 */
export function createRedisLockProvider(options: RedisLockProviderOptions): RedisLockProvider {
  return new RedisLockProvider(options);
}

function buildBackend(options: RedisLockProviderOptions): {
  backend: LockBackend;
  topology: RedisTopology;
  connectionName: string;
} {
  checkOptionKeys(options, REDIS_OPTION_KEYS, "createRedisLockProvider");
  const given = (["url", "client", "urls", "clients", "cluster"] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length !== 1) {
    throw new TypeError(
      given.length === 0
        ? "createRedisLockProvider needs one of url, client, urls, clients or cluster"
        : `createRedisLockProvider takes only one of url, client, urls, clients or cluster (got ${given.join(", ")})`,
    );
  }
  const driftFactor = fraction(options.driftFactor, "driftFactor", 0.01, 0.5);
  const driftFixed = duration(options.driftFixed, "driftFixed", 2, { allowZero: true });
  const nodeTimeout = duration(options.nodeTimeout, "nodeTimeout", 500);
  const subscribeTimeout = duration(options.subscribeTimeout, "subscribeTimeout", 1_000);
  const releaseTimeout = duration(options.releaseTimeout, "releaseTimeout", 2_000);
  if (options.connectionName !== undefined && !/^[!-~]+$/.test(options.connectionName)) {
    throw new TypeError("connectionName must be non-empty printable ASCII without spaces");
  }
  const connectionName = options.connectionName ?? `locks-${newToken().slice(0, 12)}`;
  const io: IoredisModule = options.ioredis ?? { Redis, Cluster };
  const redisOptions: RedisOptions = { ...options.redisOptions, connectionName };
  const allowance = drift(driftFactor, driftFixed);
  const open = (url: string) => {
    if (typeof url !== "string" || url.length === 0)
      throw new TypeError("url must be a non-empty string");
    return asConnection(new io.Redis(url, redisOptions));
  };

  // One server and a Cluster take the same backend: each lock's keys share one hash slot.
  const serverOrCluster = (client: RedisConnection, owned: boolean, topology: RedisTopology) => ({
    backend: new ServerOrClusterBackend(
      client,
      owned,
      allowance,
      REDIS_WAIT_TUNING,
      subscribeTimeout,
      releaseTimeout,
    ),
    topology,
    connectionName,
  });

  if (options.url !== undefined || options.client !== undefined) {
    const client = options.client ?? open(options.url as string);
    if (options.client !== undefined) checkClient(options.client, "client");
    return serverOrCluster(client, options.client === undefined, "single");
  }
  if (options.cluster !== undefined) {
    const cluster = options.cluster;
    let client: RedisConnection;
    let owned: boolean;
    if (Array.isArray(cluster)) {
      if (cluster.length === 0) throw new TypeError("cluster must list at least one startup node");
      client = asConnection(
        new io.Cluster([...(cluster as ClusterStartupNode[])], {
          ...options.clusterOptions,
          redisOptions: {
            ...options.clusterOptions?.redisOptions,
            ...options.redisOptions,
            connectionName,
          },
        }),
      );
      owned = true;
    } else {
      checkClient(cluster as RedisConnection, "cluster");
      client = cluster as RedisConnection;
      owned = false;
    }
    return serverOrCluster(client, owned, "cluster");
  }
  let nodes: Array<{ client: RedisConnection; owned: boolean }>;
  if (options.urls !== undefined) {
    if (!Array.isArray(options.urls) || options.urls.length === 0) {
      throw new TypeError("urls must be a non-empty array of Redis URLs");
    }
    if (new Set(options.urls).size !== options.urls.length) {
      throw new TypeError("urls must name distinct servers");
    }
    for (const url of options.urls) {
      if (typeof url !== "string" || url.length === 0) {
        throw new TypeError("urls must be non-empty strings");
      }
    }
    nodes = options.urls.map((url) => ({ client: open(url), owned: true }));
  } else {
    const clients = options.clients;
    if (!Array.isArray(clients) || clients.length === 0) {
      throw new TypeError("clients must be a non-empty array of ioredis clients");
    }
    if (new Set(clients).size !== clients.length) throw new TypeError("clients must be distinct");
    for (const [index, client] of clients.entries()) checkClient(client, `clients[${index}]`);
    nodes = clients.map((client) => ({ client, owned: false }));
  }
  return {
    backend: new RedlockBackend(nodes, allowance, nodeTimeout, REDIS_WAIT_TUNING, subscribeTimeout),
    topology: "redlock",
    connectionName,
  };
}

function asConnection(client: unknown): RedisConnection {
  const connection = client as RedisConnection;
  // Errors surface through commands; without a listener ioredis would log every reconnect failure.
  connection.on("error", () => {});
  return connection;
}

function checkClient(client: RedisConnection, name: string): void {
  if (
    client === null ||
    typeof client !== "object" ||
    typeof client.call !== "function" ||
    typeof client.duplicate !== "function"
  ) {
    throw new TypeError(`${name} must be an ioredis Redis or Cluster instance`);
  }
}

/** An optional duration in ms, checked by core's validator. */
function duration(
  value: unknown,
  name: string,
  fallback: number,
  opts: { allowZero?: boolean } = {},
): number {
  return value === undefined ? fallback : checkDuration(value, name, opts);
}

/** An optional fraction in [0, max]. */
function fraction(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${typeof value}`);
  }
  if (!(value >= 0 && value <= max)) {
    throw new RangeError(`${name} must be between 0 and ${max}, got ${value}`);
  }
  return value;
}
