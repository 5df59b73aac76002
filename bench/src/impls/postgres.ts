/**
 * PostgreSQL implementations: the raw floor (advisory lock on a pooled connection held for the
 * lock's lifetime) and `advisory-lock`, the npm package users pick for Postgres advisory locks.
 */
import { createHash } from "node:crypto";
import advisoryLockModule from "advisory-lock";
import pg from "pg";
import { defineImpl, type Held, type ImplFactory } from "./types.js";

const GROUP = "1 server";
/** Longest single blocking wait of the floor, so that an aborted run's waiters return (ms). */
const ATTEMPT_BOUND_MS = 2_000;

/** The same 64-bit id for a key as `@locks/postgres` derives, so every row takes one server lock per key. */
function lockId(key: string): string {
  return String(createHash("sha256").update(key, "utf8").digest().readBigInt64BE(0));
}

/**
 * The floor: take a pooled connection, `SELECT pg_advisory_lock(id)` (the server's native FIFO
 * wait, bounded by `lock_timeout` so that a stopped run's waiters return), and on release
 * `SELECT pg_advisory_unlock(id)` and return the connection.
 */
function floor(url: string): ImplFactory {
  return defineImpl(
    {
      id: "floor: pg_advisory_lock + pg_advisory_unlock",
      role: "floor",
      group: GROUP,
      settings: "bare pg queries on a pooled connection held for the lock's lifetime",
    },
    async () => {
      const pool = new pg.Pool({ connectionString: url, max: 80 });
      pool.on("error", () => {});
      // A checked-out client has no listener of the pool's: a session the server ends (its
      // shutdown at the end of the run) would crash the process with an unhandled 'error'. The
      // query in flight rejects with the same error. One listener per client, when it is made.
      pool.on("connect", (client) => client.on("error", () => {}));
      return {
        async acquire(key, signal): Promise<Held> {
          const id = lockId(key);
          const client = await pool.connect();
          try {
            await client.query(`SET lock_timeout = ${ATTEMPT_BOUND_MS}`);
            for (;;) {
              signal.throwIfAborted();
              try {
                await client.query("SELECT pg_advisory_lock($1::bigint)", [id]);
                break;
              } catch (error) {
                if ((error as { code?: unknown }).code !== "55P03") throw error;
              }
            }
          } catch (error) {
            client.release(true);
            throw error;
          }
          return {
            async release() {
              try {
                await client.query("SELECT pg_advisory_unlock($1::bigint)", [id]);
                client.release();
              } catch (error) {
                client.release(true);
                throw error;
              }
            },
          };
        },
        close: () => pool.end(),
      };
    },
  );
}

/**
 * `advisory-lock` (olalonde): opens a new connection for every `lock()` and closes it on unlock;
 * `lock()` is a native blocking `pg_advisory_lock` that cannot be cancelled, so an abort here
 * rejects at once and unlocks whatever is granted later. `close()` waits for those: a server
 * stopped under a pending `lock()` makes its connection emit an error nobody listens to.
 */
function advisoryLock(url: string): ImplFactory {
  return defineImpl(
    {
      id: "advisory-lock 2.0.0",
      role: "peer",
      group: GROUP,
      settings: "defaults (a new connection per lock(), native blocking wait)",
    },
    async () => {
      // A CommonJS module with an `exports.default`: Node's ESM import sees the exports object.
      const mutexes = advisoryLockModule.default(url);
      /** Unlocks of grants that came after their wait was aborted, not yet done. */
      const late = new Set<Promise<unknown>>();
      return {
        acquire(key, signal): Promise<Held> {
          signal.throwIfAborted();
          const locking = mutexes(key).lock();
          return new Promise<Held>((resolve, reject) => {
            const onAbort = () => {
              reject(signal.reason);
              const unlocked = locking
                .then(
                  (unlock) => unlock(),
                  () => {},
                )
                .catch(() => {});
              late.add(unlocked);
              void unlocked.finally(() => late.delete(unlocked));
            };
            signal.addEventListener("abort", onAbort, { once: true });
            locking.then(
              (unlock) => {
                if (signal.aborted) return;
                signal.removeEventListener("abort", onAbort);
                resolve({ release: () => unlock() });
              },
              (error: unknown) => {
                signal.removeEventListener("abort", onAbort);
                reject(error);
              },
            );
          });
        },
        close: async () => {
          await Promise.allSettled([...late]);
        },
      };
    },
  );
}

/** The floor and the peers; ours is added by the caller when `@locks/postgres` is available. */
export function postgresPeersAndFloor(url: string): ImplFactory[] {
  return [advisoryLock(url), floor(url)];
}

export { GROUP as POSTGRES_GROUP };
