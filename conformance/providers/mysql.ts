/**
 * How a child process of the cross-process scenarios builds a MySQL provider (the `child`
 * recipe of `test/mysql.test.ts`): `createProvider(options)` with JSON options.
 */
import { createMySqlLockProvider, type MySqlLockProvider } from "@locks/mysql";

/** JSON options the parent passes to every child. */
export interface MySqlChildOptions {
  /** Server URL naming the database that holds the fence table. */
  url: string;
  /** Key prefix (the prefix-isolation scenario passes one). */
  prefix?: string;
}

/** A fresh provider with its own pool: one "node". */
export function createProvider(options: MySqlChildOptions): MySqlLockProvider {
  return createMySqlLockProvider({
    url: options.url,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    poolOptions: { connectionLimit: 20, connectTimeout: 10_000 },
  });
}
