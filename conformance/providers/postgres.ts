/**
 * How a child process of the cross-process scenarios builds a PostgreSQL provider (the `child`
 * recipe of `test/postgres.test.ts`): `createProvider(options)` with JSON options.
 */
import { createPostgresLockProvider, type PostgresLockProvider } from "@locks/postgres";

/** JSON options the parent passes to every child. */
export interface PostgresChildOptions {
  /** Connection string naming the database that holds the fence table. */
  url: string;
  /** Key prefix (the prefix-isolation scenario passes one). */
  prefix?: string;
}

/** A fresh provider with its own pool: one "node". */
export function createProvider(options: PostgresChildOptions): PostgresLockProvider {
  return createPostgresLockProvider({
    connectionString: options.url,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    poolConfig: { max: 20, connectionTimeoutMillis: 10_000 },
  });
}
