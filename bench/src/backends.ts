/**
 * Which implementations run on which backend. Also imported by child processes (agent.ts), which
 * rebuild the same implementations from the same server URLs.
 */
import type { LockProvider } from "@locks/core";
import { memoryImpls } from "./impls/memory.js";
import { MONGO_GROUP, mongoJavaImpls, mongoPeersAndFloor } from "./impls/mongo.js";
import { MYSQL_GROUP, mysqlFloor } from "./impls/mysql.js";
import { POSTGRES_GROUP, postgresPeersAndFloor } from "./impls/postgres.js";
import { providerImpl } from "./impls/provider.js";
import { CLUSTER_GROUP, REDLOCK_GROUP, redisPeersAndFloors, SINGLE_GROUP } from "./impls/redis.js";
import { defineImpl, type ImplFactory } from "./impls/types.js";

export const BACKENDS = ["memory", "redis", "mysql", "mongo", "mongo-java", "postgres"] as const;
export type Backend = (typeof BACKENDS)[number];

/** Server URLs per backend, as resolved by the main process. */
export interface BackendUrls {
  redis?: string[];
  redisRedlock?: string[];
  /** Startup nodes of a Redis Cluster (`redis://host:port`). */
  redisCluster?: string[];
  mysql?: string;
  mongo?: string;
  /** mongo-java-server (mongodb 6 driver only). */
  mongoJava?: string;
  postgres?: string;
}

/** The result of looking for one of our packages: its factory, or why it is missing. */
interface OursLookup {
  factories: ImplFactory[];
  missing: string[];
}

type ProviderFactory<O> = (options: O) => LockProvider;

/**
 * Loads one of our backend packages by name. Its absence (not built, not installed) must not stop
 * the peers and the floor from being measured, so it is reported instead of thrown.
 */
async function load<O>(pkg: string, exportName: string): Promise<ProviderFactory<O> | string> {
  try {
    const mod = (await import(pkg)) as Record<string, unknown>;
    const create = mod[exportName];
    if (typeof create !== "function") return `${pkg} has no export ${exportName}`;
    return create as ProviderFactory<O>;
  } catch (error) {
    return `${pkg} could not be loaded (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); build it with \`pnpm build\``;
  }
}

async function ours(backend: Backend, urls: BackendUrls): Promise<OursLookup> {
  const factories: ImplFactory[] = [];
  const missing: string[] = [];
  if (backend === "redis") {
    const create = await load<{ url?: string; urls?: string[]; cluster?: string[] }>(
      "@locks/redis",
      "createRedisLockProvider",
    );
    if (typeof create === "string") missing.push(create);
    else {
      const url = urls.redis![0]!;
      factories.push(
        defineImpl(
          {
            id: "@locks/redis (single)",
            role: "ours",
            group: SINGLE_GROUP,
            settings: "defaults (ttl 30 s, autoExtend, pub/sub wake-up + polling fallback)",
          },
          async () => providerImpl(create({ url })),
        ),
      );
      const three = urls.redisRedlock;
      if (three) {
        factories.push(
          defineImpl(
            {
              id: "@locks/redis (Redlock×3)",
              role: "ours",
              group: REDLOCK_GROUP,
              settings: "defaults (ttl 30 s, autoExtend, quorum 2 of 3)",
            },
            async () => providerImpl(create({ urls: three })),
          ),
        );
      }
      const cluster = urls.redisCluster;
      if (cluster) {
        const nodes = cluster.map((url) => new URL(url).host);
        factories.push(
          defineImpl(
            {
              id: "@locks/redis (Cluster)",
              role: "ours",
              group: CLUSTER_GROUP,
              settings: "defaults (ttl 30 s, autoExtend, pub/sub wake-up + polling fallback)",
            },
            async () => providerImpl(create({ cluster: nodes })),
          ),
        );
      }
    }
  } else if (backend === "mysql") {
    const create = await load<{ url: string }>("@locks/mysql", "createMySqlLockProvider");
    if (typeof create === "string") missing.push(create);
    else {
      const url = urls.mysql!;
      factories.push(
        defineImpl(
          {
            id: "@locks/mysql",
            role: "ours",
            group: MYSQL_GROUP,
            settings: "defaults (native blocking GET_LOCK, fencing counter)",
          },
          async () => providerImpl(create({ url })),
        ),
      );
    }
  } else if (backend === "mongo") {
    const create = await load<{ url: string; database?: string }>(
      "@locks/mongo",
      "createMongoLockProvider",
    );
    if (typeof create === "string") missing.push(create);
    else {
      const url = urls.mongo!;
      factories.push(
        defineImpl(
          {
            id: "@locks/mongo",
            role: "ours",
            group: MONGO_GROUP,
            settings: "defaults (change stream when available, else polling)",
          },
          async () => providerImpl(create({ url, database: "locks_bench" })),
        ),
      );
    }
  } else if (backend === "postgres") {
    const create = await load<{ connectionString: string }>(
      "@locks/postgres",
      "createPostgresLockProvider",
    );
    if (typeof create === "string") missing.push(create);
    else {
      const connectionString = urls.postgres!;
      factories.push(
        defineImpl(
          {
            id: "@locks/postgres",
            role: "ours",
            group: POSTGRES_GROUP,
            settings:
              "defaults (native FIFO pg_advisory_lock, asynchronously committed fencing counter)",
          },
          async () => providerImpl(create({ connectionString })),
        ),
      );
    }
  }
  return { factories, missing };
}

/** Every implementation of `backend`, ours first, then the peers, then the floors. */
export async function implementations(
  backend: Backend,
  urls: BackendUrls,
): Promise<{ factories: ImplFactory[]; missing: string[] }> {
  const found = await ours(backend, urls);
  let others: ImplFactory[] = [];
  if (backend === "memory") others = memoryImpls();
  if (backend === "redis") others = redisPeersAndFloors(urls.redis!, urls.redisRedlock);
  if (backend === "mysql") others = mysqlFloor(urls.mysql!);
  if (backend === "mongo") others = mongoPeersAndFloor(urls.mongo!);
  if (backend === "mongo-java") others = mongoJavaImpls(urls.mongoJava!);
  if (backend === "postgres") others = postgresPeersAndFloor(urls.postgres!);
  return { factories: [...found.factories, ...others], missing: found.missing };
}
