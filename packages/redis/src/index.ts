/**
 * `@locks/redis`: distributed locks over Redis. One server or a Redis Cluster (with fencing
 * tokens), or Redlock over N independent servers.
 */

// The errors, `withLock` and the user-facing types, as every provider package re-exports them.
export * from "@locks/core/common";
export type {
  RedisArg,
  RedisConnection,
  RedisSubscriberConnection,
} from "./connection.js";
export { RedisQuorumError } from "./errors.js";
export { escapeHashTag, type RedisLockKeys, redisLockKeys } from "./keys.js";
export {
  type ClusterStartupNode,
  createRedisLockProvider,
  type IoredisModule,
  REDIS_WAIT_TUNING,
  RedisLockProvider,
  type RedisLockProviderOptions,
  type RedisTopology,
} from "./provider.js";
