/**
 * `@locks/mysql`: distributed locks on MySQL 8 and MariaDB 10.6+ user-level locks (`GET_LOCK`),
 * with fencing tokens and loss detection. Built on `@locks/core`.
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
export {
  ER_LOCK_DEADLOCK,
  ER_USER_LOCK_DEADLOCK,
  isDeadlockError,
  MySqlLockDeadlockError,
} from "./errors.js";
export { fenceTableDdl } from "./fence-table.js";
export { LOCK_NAME_PREFIX, mysqlLockName } from "./lock-name.js";
export { createMySqlLockProvider, MySqlLockProvider } from "./mysql-provider.js";
export { MYSQL_DEFAULTS, type MySqlLockProviderOptions, type MySqlPool } from "./options.js";
