/** MongoDB implementations: ours, the floor (findOneAndUpdate + updateOne), and mongo-locks. */
import { randomBytes } from "node:crypto";
import { LockManager } from "mongo-locks";
import { MongoClient, MongoServerError } from "mongodb";
import { sleep } from "../clock.js";
import { defineImpl, type Held, type ImplFactory } from "./types.js";

const GROUP = "1 server";
const LEASE_MS = 30_000;
export const BENCH_DB = "locks_bench";

interface LockDoc {
  _id: string;
  owner: string | null;
  expiresAt: Date;
  fence: number;
}

/**
 * The floor: one `findOneAndUpdate` with upsert whose filter matches only a free or expired
 * document (duplicate key 11000 = held), and an `updateOne` on `_id` + owner to release; while
 * held, retry after 1–3 ms.
 */
function floor(url: string): ImplFactory {
  return defineImpl(
    {
      id: "floor: findOneAndUpdate + updateOne",
      role: "floor",
      group: GROUP,
      settings: "bare driver calls; while held, retry after 1–3 ms",
    },
    async () => {
      const client = await new MongoClient(url).connect();
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
              if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
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

/** The floor and mongo-locks; ours is added by the caller when `@locks/mongo` is available. */
export function mongoPeersAndFloor(url: string): ImplFactory[] {
  return [floor(url), mongoLocks(url)];
}

export { GROUP as MONGO_GROUP };
