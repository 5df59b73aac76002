/**
 * `@locks/redis`: distributed locks over Redis. One server or a Redis Cluster (with fencing
 * tokens), or Redlock over N independent servers.
 */

export type {
  AcquireOptions,
  DistributedLock,
  LockCapabilities,
  LockHandle,
  LockOptions,
  LockProvider,
} from "@locks/core";
export {
  InvalidLockKeyError,
  LockBackendError,
  LockError,
  LockLostError,
  LockProviderClosedError,
  LockTimeoutError,
  withLock,
} from "@locks/core";
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
