/** Redis implementations: ours, the peer libraries (defaults and tuned), and the raw floor. */
import { randomBytes } from "node:crypto";
import { Redlock as SesameRedlock } from "@sesamecare-oss/redlock";
import { Redis } from "ioredis";
import { Mutex, RedlockMutex } from "redis-semaphore";
import Redlock4 from "redlock";
import Redlock5 from "redlock5";
import { sleep } from "../clock.js";
import { defineImpl, type Held, type ImplFactory, untilAcquired } from "./types.js";

/** Lease length given to implementations that require one, in milliseconds. */
export const LEASE_MS = 30_000;
/**
 * How long one library call may wait before giving up and being called again, in milliseconds:
 * a bound on waiting, the same for everyone, so that a run can end promptly; not a speed knob.
 */
export const ATTEMPT_BOUND_MS = 2_000;
/** Mean poll interval of the floor and of the speed-tuned peers, in milliseconds. */
export const TUNED_POLL_MS = 2;

const SINGLE = "1 server";
const REDLOCK = "3 servers (Redlock)";

const COMPARE_DEL =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

interface RedisWithScripts extends Redis {
  compareDel(key: string, token: string): Promise<number>;
}

function connect(url: string): RedisWithScripts {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 }) as RedisWithScripts;
  redis.on("error", () => {});
  redis.defineCommand("compareDel", { numberOfKeys: 1, lua: COMPARE_DEL });
  return redis;
}

function quit(clients: Redis[]): Promise<void> {
  return Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect()))).then(() => {});
}

const token = () => randomBytes(16).toString("base64url");
const jitteredPoll = () => sleep(TUNED_POLL_MS / 2 + Math.random() * TUNED_POLL_MS);

/** The floor: `SET key token NX PX ttl` and a Lua compare-and-DEL, polling every 1–3 ms. */
function floorSingle(urls: string[]): ImplFactory {
  return defineImpl(
    {
      id: "floor: SET NX PX + Lua DEL",
      role: "floor",
      group: SINGLE,
      settings: `bare ioredis commands; while held, retry after 1–3 ms`,
    },
    async () => {
      const redis = connect(urls[0]!);
      return {
        async acquire(key, signal) {
          const value = token();
          for (;;) {
            signal.throwIfAborted();
            if ((await redis.set(key, value, "PX", LEASE_MS, "NX")) === "OK") {
              return { release: () => redis.compareDel(key, value).then(() => {}) };
            }
            await jitteredPoll();
          }
        },
        close: () => quit([redis]),
      };
    },
  );
}

/**
 * The least a notified FIFO hand-off costs on one server: a list of waiters per key; a release
 * script sets the lock to the head's token and publishes on that waiter's own channel, and the
 * waiter enters on that message with no further command. No fencing, no lease on queue entries,
 * no renewal: a waiter that dies in the queue blocks the key for the lease. Only the `cycle`
 * command uses it, to show the gap a notified hand-off cannot go below on the machine at hand.
 */
export function notifiedFloor(urls: string[]): ImplFactory {
  const acquireLua = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 0`;
  // Releases `ARGV[1]`'s hold (or its queue entry) and hands the key to the next in line.
  const releaseLua = `redis.call('LREM', KEYS[2], 0, ARGV[1])
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local head = redis.call('LPOP', KEYS[2])
if head then
  redis.call('SET', KEYS[1], head, 'PX', ARGV[2])
  redis.call('PUBLISH', 'notified-floor:' .. head, '')
else
  redis.call('DEL', KEYS[1])
end
return 1`;
  return defineImpl(
    {
      id: "floor: notified FIFO hand-off",
      role: "floor",
      group: SINGLE,
      settings: "bare ioredis; the release hands the key to the head and messages it",
    },
    async () => {
      const redis = connect(urls[0]!);
      const subscriber = connect(urls[0]!);
      const me = token();
      let wake: (() => void) | undefined;
      subscriber.on("message", () => {
        const woken = wake;
        wake = undefined;
        woken?.();
      });
      await subscriber.subscribe(`notified-floor:${me}`);
      const release = (key: string) =>
        redis.eval(releaseLua, 2, key, `${key}:queue`, me, LEASE_MS).then(() => {});
      return {
        async acquire(key, signal) {
          signal.throwIfAborted();
          const woken = new Promise<void>((resolve) => {
            wake = resolve;
          });
          if ((await redis.eval(acquireLua, 2, key, `${key}:queue`, me, LEASE_MS)) !== 1) {
            try {
              await new Promise<void>((resolve, reject) => {
                const onAbort = () => reject(signal.reason);
                if (signal.aborted) return onAbort();
                signal.addEventListener("abort", onAbort, { once: true });
                void woken.then(() => {
                  signal.removeEventListener("abort", onAbort);
                  resolve();
                });
              });
            } catch (error) {
              await release(key); // leaves the queue, or passes on a key handed over meanwhile
              throw error;
            }
          }
          return { release: () => release(key) };
        },
        close: () => quit([redis, subscriber]),
      };
    },
  );
}

/** The Redlock floor: the same commands on 3 servers in parallel, granted on a majority. */
function floorRedlock(urls: string[]): ImplFactory {
  return defineImpl(
    {
      id: "floor×3: SET NX PX + Lua DEL, quorum 2",
      role: "floor",
      group: REDLOCK,
      settings:
        "bare commands to 3 servers in parallel; on a miss, DEL everywhere and retry after 1–3 ms",
    },
    async () => {
      const clients = urls.slice(0, 3).map(connect);
      const releaseAll = (key: string, value: string) =>
        Promise.all(clients.map((c) => c.compareDel(key, value).catch(() => 0))).then(() => {});
      return {
        async acquire(key, signal) {
          for (;;) {
            signal.throwIfAborted();
            const value = token();
            const replies = await Promise.all(
              clients.map((c) => c.set(key, value, "PX", LEASE_MS, "NX").catch(() => null)),
            );
            if (replies.filter((r) => r === "OK").length >= 2) {
              return { release: () => releaseAll(key, value) };
            }
            await releaseAll(key, value);
            await jitteredPoll();
          }
        },
        close: () => quit(clients),
      };
    },
  );
}

function semaphoreMutex(urls: string[], tuned: boolean): ImplFactory {
  const options = tuned
    ? { acquireTimeout: ATTEMPT_BOUND_MS, retryInterval: TUNED_POLL_MS }
    : { acquireTimeout: ATTEMPT_BOUND_MS };
  return defineImpl(
    {
      id: `redis-semaphore Mutex (${tuned ? "tuned" : "defaults"})`,
      role: "peer",
      group: SINGLE,
      settings: tuned
        ? `retryInterval ${TUNED_POLL_MS} ms (default 10), lockTimeout 10 s`
        : "defaults: retryInterval 10 ms, lockTimeout 10 s, refresh every 8 s",
    },
    async () => {
      const redis = connect(urls[0]!);
      return {
        async acquire(key, signal) {
          const mutex = new Mutex(redis, key, options);
          await untilAcquired(signal, () => mutex.acquire(signal).then(() => true));
          return { release: () => mutex.release() };
        },
        close: () => quit([redis]),
      };
    },
  );
}

function semaphoreRedlockMutex(urls: string[], tuned: boolean): ImplFactory {
  const options = tuned
    ? { acquireTimeout: ATTEMPT_BOUND_MS, retryInterval: TUNED_POLL_MS }
    : { acquireTimeout: ATTEMPT_BOUND_MS };
  return defineImpl(
    {
      id: `redis-semaphore RedlockMutex×3 (${tuned ? "tuned" : "defaults"})`,
      role: "peer",
      group: REDLOCK,
      settings: tuned
        ? `retryInterval ${TUNED_POLL_MS} ms (default 10), lockTimeout 10 s`
        : "defaults: retryInterval 10 ms, lockTimeout 10 s, refresh every 8 s",
    },
    async () => {
      const clients = urls.slice(0, 3).map(connect);
      return {
        async acquire(key, signal) {
          const mutex = new RedlockMutex(clients, key, options);
          await untilAcquired(signal, () => mutex.acquire(signal).then(() => true));
          return { release: () => mutex.release() };
        },
        close: () => quit(clients),
      };
    },
  );
}

/** Retry settings of the redlock family: defaults, or polling every 1–3 ms. */
function redlockSettings(tuned: boolean) {
  return tuned
    ? {
        retryCount: Math.ceil(ATTEMPT_BOUND_MS / TUNED_POLL_MS),
        retryDelay: TUNED_POLL_MS,
        retryJitter: TUNED_POLL_MS / 2,
      }
    : {};
}

const REDLOCK_DEFAULTS = "defaults: retryCount 10, retryDelay 200 ms, retryJitter 100 ms";
const REDLOCK_TUNED = `retryDelay ${TUNED_POLL_MS} ms, retryJitter ${TUNED_POLL_MS / 2} ms, retryCount ${Math.ceil(ATTEMPT_BOUND_MS / TUNED_POLL_MS)}`;

function redlock4(urls: string[], tuned: boolean): ImplFactory {
  return defineImpl(
    {
      id: `redlock 4.2.0 (${tuned ? "tuned" : "defaults"})`,
      role: "peer",
      group: SINGLE,
      settings: tuned ? REDLOCK_TUNED : REDLOCK_DEFAULTS,
    },
    async () => {
      const redis = connect(urls[0]!);
      const redlock = new Redlock4([redis], redlockSettings(tuned));
      redlock.on("clientError", () => {});
      return {
        async acquire(key, signal): Promise<Held> {
          const lock = await untilAcquired(signal, () => redlock.lock(key, LEASE_MS));
          return { release: () => lock.unlock().then(() => {}) };
        },
        close: () => quit([redis]),
      };
    },
  );
}

type Redlock5Like = {
  acquire(resources: string[], duration: number): Promise<{ release(): Promise<unknown> }>;
  on(event: "error", listener: (error: unknown) => void): unknown;
};

function redlock5Family(
  urls: string[],
  count: 1 | 3,
  tuned: boolean,
  name: string,
  make: (clients: Redis[], settings: ReturnType<typeof redlockSettings>) => Redlock5Like,
): ImplFactory {
  return defineImpl(
    {
      id: `${name}${count === 3 ? "×3" : ""} (${tuned ? "tuned" : "defaults"})`,
      role: "peer",
      group: count === 3 ? REDLOCK : SINGLE,
      settings: tuned ? REDLOCK_TUNED : REDLOCK_DEFAULTS,
    },
    async () => {
      const clients = urls.slice(0, count).map(connect);
      const redlock = make(clients, redlockSettings(tuned));
      redlock.on("error", () => {});
      return {
        async acquire(key, signal): Promise<Held> {
          const lock = await untilAcquired(signal, () => redlock.acquire([key], LEASE_MS));
          return { release: () => lock.release().then(() => {}) };
        },
        close: () => quit(clients),
      };
    },
  );
}

/** Every Redis implementation, given one URL (single) and three (Redlock); ours are added by the caller. */
export function redisPeersAndFloors(single: string[], three: string[] | undefined): ImplFactory[] {
  const factories: ImplFactory[] = [floorSingle(single)];
  for (const tuned of [false, true]) {
    factories.push(
      semaphoreMutex(single, tuned),
      redlock4(single, tuned),
      redlock5Family(single, 1, tuned, "redlock 5.0.0-beta.2", (c, s) => new Redlock5(c, s)),
      redlock5Family(
        single,
        1,
        tuned,
        "@sesamecare-oss/redlock 1.4.0",
        (c, s) => new SesameRedlock(c, s),
      ),
    );
  }
  if (three) {
    factories.push(floorRedlock(three));
    for (const tuned of [false, true]) {
      factories.push(
        semaphoreRedlockMutex(three, tuned),
        redlock5Family(
          three,
          3,
          tuned,
          "@sesamecare-oss/redlock 1.4.0",
          (c, s) => new SesameRedlock(c, s),
        ),
      );
    }
  }
  return factories;
}

/** Our provider on a Redis Cluster: no peer library or floor runs there. */
export const CLUSTER_GROUP = "Cluster (3 masters)";

export { REDLOCK as REDLOCK_GROUP, SINGLE as SINGLE_GROUP };
