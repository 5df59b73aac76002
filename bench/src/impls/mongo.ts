/**
 * MongoDB implementations: ours, the floor (findOneAndUpdate + updateOne), and mongo-locks; on
 * mongo-java-server (mongodb 6 driver only) ours and the floor.
 */
import { randomBytes } from "node:crypto";
import { LockManager } from "mongo-locks";
import { MongoClient, MongoServerError } from "mongodb";
import { MongoClient as MongoClient6 } from "mongodb6";
import { sleep } from "../clock.js";
import { defineImpl, type Held, type ImplFactory } from "./types.js";

const GROUP = "1 server";
const JAVA_GROUP = "mongo-java-server";
const LEASE_MS = 30_000;
export const BENCH_DB = "locks_bench";

interface LockDoc {
  _id: string;
  owner: string | null;
  expiresAt: Date;
  fence: number;
}

/** A client of either driver major, as far as the floor uses it. */
type Connect = (url: string) => Promise<MongoClient>;
const connect7: Connect = (url) => new MongoClient(url).connect();
// mongo-java-server reports wire version 8, which the 7 driver refuses.
const connect6: Connect = async (url) =>
  (await new MongoClient6(url).connect()) as unknown as MongoClient;

/** The server code of a duplicate key, from either driver major's error class. */
const isDuplicateKey = (error: unknown) =>
  error instanceof Error &&
  error.name === "MongoServerError" &&
  (error as { code?: unknown }).code === 11000;

/**
 * The floor: one `findOneAndUpdate` with upsert whose filter matches only a free or expired
 * document (duplicate key 11000 = held), and an `updateOne` on `_id` + owner to release; while
 * held, retry after 1–3 ms. Its overlap count is what tells whether a server's conditional upsert
 * is atomic (non-zero on FerretDB 1.x, which is why detection gives FerretDB the ledger).
 */
function floor(url: string, connect: Connect = connect7, group = GROUP): ImplFactory {
  return defineImpl(
    {
      id: "floor: findOneAndUpdate + updateOne",
      role: "floor",
      group,
      settings: "bare driver calls; while held, retry after 1–3 ms",
    },
    async () => {
      const client = await connect(url);
      const locks = client.db(BENCH_DB).collection<LockDoc>("floor_locks");
      return {
        async acquire(key, signal): Promise<Held> {
          const owner = randomBytes(16).toString("base64url");
          for (;;) {
            signal.throwIfAborted();
            const now = new Date();
            try {
              const doc = await locks.findOneAndUpdate(
                { _id: key, $or: [{ owner: null }, { expiresAt: { $lte: now } }] },
                {
                  $set: { owner, expiresAt: new Date(now.getTime() + LEASE_MS) },
                  $inc: { fence: 1 },
                },
                { upsert: true, returnDocument: "after" },
              );
              // The returned document must carry our token: a server whose findAndModify is not
              // atomic (FerretDB 1.x) can report a match that another writer then overwrote.
              if (doc?.owner !== owner)
                throw new MongoServerError({ code: 11000, errmsg: "lost race" });
              return {
                release: () =>
                  locks.updateOne({ _id: key, owner }, { $set: { owner: null } }).then(() => {}),
              };
            } catch (error) {
              if (!isDuplicateKey(error)) throw error;
            }
            await sleep(1 + Math.random() * 2);
          }
        },
        close: () => client.close(),
      };
    },
  );
}

/**
 * mongo-locks 3.2.0, the most used MongoDB lock package that works on the plain driver. It only
 * tries once (no waiting), so it takes part in the uncontended scenarios only.
 */
function mongoLocks(url: string): ImplFactory {
  return defineImpl(
    {
      id: "mongo-locks 3.2.0",
      role: "peer",
      group: GROUP,
      settings: "defaults (try-once: uncontended scenarios only)",
      traits: { waits: false },
    },
    async () => {
      const client = await new MongoClient(url).connect();
      const manager = new LockManager(client.db(BENCH_DB).collection("mongo_locks"));
      try {
        await (manager as unknown as { ready: Promise<unknown> }).ready; // it creates a unique index and a TTL index before the first lock
      } catch (error) {
        await client.close();
        throw new Error(
          `mongo-locks cannot create its indexes on this server (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      return {
        async acquire(key, signal): Promise<Held> {
          for (;;) {
            signal.throwIfAborted();
            const lock = await manager.lock(key);
            if (lock) return { release: () => lock.free().then(() => {}) };
            await sleep(1 + Math.random() * 2);
          }
        },
        close: () => client.close(),
      };
    },
  );
}

/**
 * Ours and the floor on mongo-java-server, both over the mongodb 6 driver (mongo-locks is built on
 * the 7 driver and stays out).
 */
export function mongoJavaImpls(url: string): ImplFactory[] {
  const ours = defineImpl(
    {
      id: "@locks/mongo",
      role: "ours",
      group: JAVA_GROUP,
      settings: "defaults (document protocol, clock offset, change stream), mongodb 6 driver",
    },
    async () => {
      const { createMongoLockProvider } = await import("@locks/mongo");
      const client = await connect6(url);
      const provider = createMongoLockProvider({ client, database: BENCH_DB });
      return {
        acquire: (key, signal) => provider.getLock(key).acquire({ signal }),
        async close() {
          await provider.close();
          await client.close();
        },
      };
    },
  );
  return [ours, floor(url, connect6, JAVA_GROUP)];
}

/** The floor and mongo-locks; ours is added by the caller when `@locks/mongo` is available. */
export function mongoPeersAndFloor(url: string): ImplFactory[] {
  return [floor(url), mongoLocks(url)];
}

export { GROUP as MONGO_GROUP };
