/**
 * How a child process of the cross-process scenarios builds a MongoDB provider (the
 * `child` recipe of `test/mongo.test.ts`): `createProvider(options)` with JSON options.
 */
import {
  createMongoLockProvider,
  type MongoLockProtocol,
  type MongoLockProvider,
  type MongoTimeSource,
} from "@locks/mongo";

/** JSON options the parent passes to every child. */
export interface MongoChildOptions {
  url: string;
  database: string;
  protocol?: MongoLockProtocol;
  timeSource?: MongoTimeSource;
  changeStream?: boolean | "auto";
}

/** A fresh provider with its own client, features detected before it is handed out. */
export async function createProvider(options: MongoChildOptions): Promise<MongoLockProvider> {
  const provider = createMongoLockProvider({
    url: options.url,
    database: options.database,
    ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
    ...(options.timeSource === undefined ? {} : { timeSource: options.timeSource }),
    ...(options.changeStream === undefined ? {} : { changeStream: options.changeStream }),
    clientOptions: { maxPoolSize: 10, serverSelectionTimeoutMS: 10_000 },
  });
  await provider.ready();
  return provider;
}
