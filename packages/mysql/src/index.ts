/**
 * `@locks/mysql`: distributed locks on MySQL 8 and MariaDB 10.6+ user-level locks (`GET_LOCK`),
 * with fencing tokens and loss detection. Built on `@locks/core`.
 */

// The errors, `withLock` and the user-facing types, as every provider package re-exports them.
export * from "@locks/core/common";
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
