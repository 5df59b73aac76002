/**
 * How a MongoDB provider of the conformance runs is built, in the test process and in the child
 * processes of the cross-process scenarios (`createProvider(options)` with JSON options).
 */
import {
  createMongoLockProvider,
  type MongoLockProtocol,
  MongoLockProvider,
  type MongoTimeSource,
} from "@locks/mongo";
import type { MongoClient } from "mongodb";
import { MongoClient as MongoClient6 } from "mongodb6";

/** JSON options the parent passes to every child. */
export interface MongoChildOptions {
  url: string;
  database: string;
  /**
   * `6`: connect with the mongodb 6 driver (mongo-java-server reports wire version 8, which the
   * 7 driver refuses). Default: the package's own driver.
   */
  driver?: 6;
  protocol?: MongoLockProtocol;
  timeSource?: MongoTimeSource;
  changeStream?: boolean | "auto";
}

const clientOptions = { maxPoolSize: 10, serverSelectionTimeoutMS: 10_000 };

/** A provider over a client of the 6 driver that it closes with itself. */
class Driver6Provider extends MongoLockProvider {
  override async close(): Promise<void> {
    await super.close();
    await this.client.close();
  }
}

/** A fresh provider with its own client, features detected before it is handed out. */
export async function createProvider(
  options: MongoChildOptions & { prefix?: string },
): Promise<MongoLockProvider> {
  const { url, driver, ...rest } = options;
  const provider =
    driver === 6
      ? new Driver6Provider({
          client: new MongoClient6(url, clientOptions) as unknown as MongoClient,
          ...rest,
        })
      : createMongoLockProvider({ url, ...rest, clientOptions });
  await provider.ready();
  return provider;
}
