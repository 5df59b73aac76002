import { backendKey, createLockProvider } from "@locks/core/backend";
import { redisServer, type TestServer, unavailableReason } from "@locks/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisLockProvider, redisLockKeys } from "../src/index.js";
import { ACQUIRE, RELEASE_TO_HEAD } from "../src/scripts.lua.js";
import { drivers } from "./drivers.js";

const found = await redisServer();
const server = found as TestServer;
let admin: Redis;

/** Runs the suites only when a server was found; otherwise one skipped test states why. */
const suite = found ? describe : describe.skip;
if (!found) {
  describe("single server", () => {
    it.skip(`no Redis server: ${unavailableReason("redis")}`, () => {});
  });
}

beforeAll(() => {
  if (found) admin = new Redis(server.url);
});
afterAll(() => {
  admin?.disconnect();
});

suite.each(drivers)("single server with $name", ({ module, resp, name }) => {
  const open = (options: Parameters<typeof createRedisLockProvider>[0] = {}) =>
    createRedisLockProvider({ url: server.url, ioredis: module, ...options });
  let n = 0;
  const key = (what: string) => `${name}:${what}:${++n}`;

  it(`speaks RESP${resp}`, async () => {
    const locks = open();
    const handle = await locks.getLock(key("resp")).acquire();
    const clients = await admin.call("CLIENT", "LIST");
    const line = String(clients)
      .split("\n")
      .find((l) => l.includes(`name=${locks.connectionName} `) && !l.includes("sub=1"));
    expect(line).toContain(`resp=${resp}`);
    await handle.release();
    await locks.close();
  });

  it("issues fencing tokens that increase per key and start at the server clock (µs)", async () => {
    const locks = open();
    const k = key("fence");
    const [seconds, micros] = (await admin.time()) as [number | string, number | string];
    const floor = BigInt(seconds) * 1_000_000n + BigInt(micros);
    const first = await locks.getLock(k).acquire();
    await first.release();
    const second = await locks.getLock(k).acquire();
    await second.release();
    expect(first.fencingToken).toBeGreaterThanOrEqual(floor);
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken!);
    await locks.close();
  });

  it("returns fencing tokens beyond 2^53 exactly", async () => {
    const locks = open();
    const k = key("bigfence");
    await admin.set(redisLockKeys(backendKey("", k)).fence, "9223372036854775000");
    const handle = await locks.getLock(k).acquire();
    expect(handle.fencingToken).toBe(9223372036854775001n);
    await handle.release();
    const next = await locks.getLock(k).acquire();
    expect(next.fencingToken).toBe(9223372036854775002n);
    await next.release();
    await locks.close();
  });

  it("leaves no lock behind when the fence counter cannot grow (2^63 − 1)", async () => {
    const locks = open();
    const k = key("overflow");
    await admin.set(redisLockKeys(backendKey("", k)).fence, "9223372036854775807");
    await expect(locks.getLock(k).tryAcquire()).rejects.toMatchObject({ name: "LockBackendError" });
    expect(await admin.exists(redisLockKeys(backendKey("", k)).lock)).toBe(0);
    await locks.close();
  });

  it("falls back to EVAL after SCRIPT FLUSH (acquire, extend and release)", async () => {
    const locks = open();
    const k = key("flush");
    await (await locks.getLock(k).acquire()).release(); // scripts cached
    await admin.script("FLUSH");
    expect(await admin.script("EXISTS", ACQUIRE.sha, RELEASE_TO_HEAD.sha)).toEqual([0, 0]);
    const handle = await locks.getLock(k).acquire();
    await admin.script("FLUSH");
    await handle.extend(5_000);
    expect(await admin.pttl(redisLockKeys(backendKey("", k)).lock)).toBeGreaterThan(4_000);
    await admin.script("FLUSH");
    await handle.release();
    expect(await admin.exists(redisLockKeys(backendKey("", k)).lock)).toBe(0);
    expect(await admin.script("EXISTS", RELEASE_TO_HEAD.sha)).toEqual([1]);
    await locks.close();
  });

  it("stores the documented key layout, with the owner token and the ttl", async () => {
    const locks = open();
    const k = key("lay{o}ut");
    const handle = await locks.getLock(k, { ttl: 4_000 }).acquire();
    const keys = redisLockKeys(backendKey("", k));
    expect(keys.lock).toBe(`locks:{0:${k.replace("}", "%7D")}}`);
    expect(await admin.get(keys.lock)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const pttl = await admin.pttl(keys.lock);
    expect(pttl).toBeGreaterThan(3_000);
    expect(pttl).toBeLessThanOrEqual(4_000);
    expect(await admin.get(keys.fence)).toBe(String(handle.fencingToken));
    await handle.release();
    expect(await admin.exists(keys.lock)).toBe(0);
    expect(await admin.exists(keys.fence)).toBe(1); // never deleted: tokens must not go back
    await locks.close();
  });

  it("wakes a waiter by pub/sub, long before its polling would", async () => {
    // Polling every 10 s: only the release message can wake the waiter quickly.
    const locks = open({ wait: { minDelay: 10_000, maxDelay: 10_000 } });
    const other = open({ wait: { minDelay: 10_000, maxDelay: 10_000 } });
    const k = key("wake");
    const holder = await locks.getLock(k).acquire();
    const waiting = other.getLock(k).acquire({ timeout: 8_000 });
    await waitForSubscriber(other.connectionName);
    const released = performance.now();
    await holder.release();
    const next = await waiting;
    expect(performance.now() - released).toBeLessThan(500);
    await next.release();
    await locks.close();
    await other.close();
  });

  it("still wakes waiters after the subscriber connection is killed", async () => {
    const locks = open({ wait: { minDelay: 10_000, maxDelay: 10_000 } });
    const other = open({ wait: { minDelay: 10_000, maxDelay: 10_000 } });
    const k = key("killsub");
    const holder = await locks.getLock(k).acquire();
    const waiting = other.getLock(k).acquire({ timeout: 8_000 });
    await waitForSubscriber(other.connectionName);
    const killed = await admin.call("CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes");
    expect(Number(killed)).toBeGreaterThanOrEqual(1);
    // ioredis reconnects and resubscribes; the provider re-checks after the reconnect.
    await waitForSubscriber(other.connectionName);
    const released = performance.now();
    await holder.release();
    const next = await waiting;
    expect(performance.now() - released).toBeLessThan(1_000);
    await next.release();
    await locks.close();
    await other.close();
  });

  it("falls back to polling when no release is announced (expiry, key deleted)", async () => {
    const locks = open({ autoExtend: false });
    const other = open();
    const k = key("expire");
    await locks.getLock(k, { ttl: 400 }).acquire();
    const started = performance.now();
    const next = await other.getLock(k).acquire({ timeout: 5_000 });
    // ttl 400 ms + at most one polling period (maxDelay 1 s) + slack.
    expect(performance.now() - started).toBeLessThan(2_500);
    await next.release();
    await locks.close();
    await other.close();
  });

  it("never closes a client it was given", async () => {
    const client = new (module.Redis as unknown as typeof Redis)(server.url);
    const locks = createRedisLockProvider({ client });
    const handle = await locks.getLock(key("given")).acquire();
    await locks.close();
    expect(handle.lost).toBe(true);
    expect(await client.ping()).toBe("PONG");
    expect(client.status).toBe("ready");
    client.disconnect();
  });

  it("works with a client that has keyPrefix and stringNumbers", async () => {
    const Client = module.Redis as unknown as typeof Redis;
    const make = () => new Client(server.url, { keyPrefix: "app:", stringNumbers: true });
    const clients = [make(), make()];
    const slow = { minDelay: 10_000, maxDelay: 10_000 };
    const a = createRedisLockProvider({ client: clients[0]!, wait: slow });
    const b = createRedisLockProvider({ client: clients[1]!, wait: slow });
    const k = key("keyprefix");
    const holder = await a.getLock(k).acquire();
    expect(holder.fencingToken).toBeTypeOf("bigint");
    expect(await admin.exists(`app:${redisLockKeys(backendKey("", k)).lock}`)).toBe(1);
    expect(await b.getLock(k).tryAcquire()).toBeUndefined();
    const waiting = b.getLock(k).acquire({ timeout: 8_000 });
    await new Promise((r) => setTimeout(r, 200)); // let the waiter subscribe
    const released = performance.now();
    await holder.release();
    const next = await waiting;
    // ioredis prefixes keys but not channels: the release message still reaches the waiter.
    expect(performance.now() - released).toBeLessThan(500);
    expect(next.fencingToken).toBeGreaterThan(holder.fencingToken!);
    await next.extend();
    await next.release();
    await a.close();
    await b.close();
    for (const client of clients) client.disconnect();
  });

  it("closes the connections it opened", async () => {
    const locks = open();
    const other = open();
    const k = key("close");
    const holder = await locks.getLock(k).acquire();
    const waiting = other
      .getLock(k)
      .acquire({ timeout: 8_000 })
      .catch((e: unknown) => e);
    await waitForSubscriber(other.connectionName);
    await other.close();
    expect(await waiting).toMatchObject({ name: "LockProviderClosedError" });
    await holder.release();
    await locks.close();
    expect(await connectionsNamed(locks.connectionName)).toBe(0);
    expect(await connectionsNamed(other.connectionName)).toBe(0);
  });
});

suite("options", () => {
  it("needs exactly one topology", () => {
    expect(() => createRedisLockProvider({})).toThrow(TypeError);
    expect(() => createRedisLockProvider({ url: "redis://x", urls: ["redis://y"] })).toThrow(
      /only one of/,
    );
    expect(() => createRedisLockProvider({ urls: [] })).toThrow(TypeError);
    expect(() => createRedisLockProvider({ cluster: [] })).toThrow(TypeError);
    expect(() => createRedisLockProvider({ client: {} as unknown as Redis })).toThrow(/ioredis/);
  });

  it("rejects bad tuning with errors naming the option, leaving no connection open", async () => {
    // Connections opened before a core option is found bad are closed again.
    const bad = (options: object) => () => createRedisLockProvider({ url: server.url, ...options });
    expect(bad({ driftFactor: -1 })).toThrow(/driftFactor/);
    expect(bad({ driftFactor: Number.NaN })).toThrow(/driftFactor/);
    expect(bad({ nodeTimeout: 0 })).toThrow(/nodeTimeout/);
    expect(bad({ ttl: -5 })).toThrow(/ttl/);
    expect(bad({ connectionName: "has space" })).toThrow(/connectionName/);
    expect(bad({ nodeTimeOut: 300 })).toThrow(/unknown option "nodeTimeOut"/);
    expect(bad({ subscribeTimeout: "1s" })).toThrow(TypeError);
    expect(bad({ wait: { minDelay: 10, maxDelay: 5 } })).toThrow(/maxDelay/);
    expect(() => createRedisLockProvider({ urls: [server.url, ""] })).toThrow(/urls/);
    const name = "locks-badoptions";
    expect(bad({ ttl: 0, connectionName: name })).toThrow(/ttl/);
    // Absence can only be checked after the time a connection would have taken to appear.
    await new Promise((r) => setTimeout(r, 500));
    expect(await connectionsNamed(name)).toBe(0);
  });

  it("exposes the capabilities of each topology", async () => {
    const locks = createRedisLockProvider({ url: server.url });
    expect(locks.capabilities).toEqual({
      fencing: true,
      leases: true,
      distributed: true,
      notifications: true,
      fairness: true,
    });
    expect(locks.topology).toBe("single");
    await locks.close();
    expect(createLockProvider).toBeTypeOf("function");
  });
});

async function connectionsNamed(name: string): Promise<number> {
  const list = String(await admin.call("CLIENT", "LIST"));
  return list.split("\n").filter((l) => l.includes(`name=${name} `)).length;
}

/** Resolves once a subscriber connection of the named provider has at least one subscription. */
async function waitForSubscriber(name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const list = String(await admin.call("CLIENT", "LIST"));
    if (list.split("\n").some((l) => l.includes(`name=${name} `) && /\bsub=[1-9]/.test(l))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no subscriber connection named ${name}`);
}
