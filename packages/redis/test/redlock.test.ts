import { type AddressInfo, createServer } from "node:net";
import { backendKey } from "@locks/core/backend";
import {
  redisServers,
  type ServerControl,
  type TestServer,
  unavailableReason,
} from "@locks/testing";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRedisLockProvider, RedisQuorumError, redisLockKeys } from "../src/index.js";
import { drivers } from "./drivers.js";

const found = await redisServers(3);
const servers = (found ?? []) as TestServer[];
/** Restart and pause need servers this run started (not servers given by URL). */
const controlled = found !== undefined && servers.every((s) => s.control !== undefined);
const control = (index: number): ServerControl => servers[index]!.control!;
let admins: Redis[] = [];

const suite = found ? describe : describe.skip;
const faultTest = controlled ? it : it.skip;
if (!found) {
  describe("Redlock", () => {
    it.skip(`no Redis servers: ${unavailableReason("redis-servers")}`, () => {});
  });
} else if (!controlled) {
  describe("Redlock faults", () => {
    it.skip("servers given by URL cannot be paused or restarted here", () => {});
  });
}

beforeAll(() => {
  admins = servers.map((s) => new Redis(s.url, { maxRetriesPerRequest: null }));
  for (const admin of admins) admin.on("error", () => {});
});
afterAll(() => {
  for (const admin of admins) admin.disconnect();
});
afterEach(async () => {
  if (controlled) await Promise.all(servers.map((s) => s.control!.resume()));
});

async function countKeys(key: string): Promise<number[]> {
  return Promise.all(admins.map((a) => a.exists(redisLockKeys(backendKey("", key)).lock)));
}

suite.each(drivers)("Redlock over 3 servers with $name", ({ module, name }) => {
  const open = (options: object = {}) =>
    createRedisLockProvider({ urls: servers.map((s) => s.url), ioredis: module, ...options });
  let n = 0;
  const key = (what: string) => `${name}:${what}:${++n}`;

  it("has no fencing tokens, and writes the key on every server", async () => {
    const locks = open();
    expect(locks.capabilities.fencing).toBe(false);
    expect(locks.topology).toBe("redlock");
    const k = key("basic");
    const handle = await locks.getLock(k).acquire();
    expect(handle.fencingToken).toBeUndefined();
    // acquire resolves once a quorum granted; the last server follows.
    await expectEventually(async () => (await countKeys(k)).every((c) => c === 1));
    const other = open();
    expect(await other.getLock(k).tryAcquire()).toBeUndefined();
    await handle.release();
    expect(await countKeys(k)).toEqual([0, 0, 0]);
    await locks.close();
    await other.close();
  });

  faultTest("acquires with 1 of 3 servers down", async () => {
    const locks = open();
    await locks
      .getLock(key("warm"))
      .tryAcquire()
      .then((h) => h?.release());
    await control(2).pause();
    const k = key("one-down");
    const handle = await locks.getLock(k).acquire({ timeout: 5_000 });
    expect(
      await Promise.all(
        admins.slice(0, 2).map((a) => a.exists(redisLockKeys(backendKey("", k)).lock)),
      ),
    ).toEqual([1, 1]);
    await handle.extend();
    await handle.release();
    await control(2).resume();
    await locks.close();
  });

  faultTest(
    "rejects with RedisQuorumError, fast, with 2 of 3 servers down, leaving no key behind",
    async () => {
      const locks = open({ nodeTimeout: 300 });
      await locks
        .getLock(key("warm"))
        .tryAcquire()
        .then((h) => h?.release());
      await control(1).pause();
      await control(2).pause();
      const k = key("two-down");
      const started = performance.now();
      const error = await locks
        .getLock(k)
        .acquire({ timeout: 20_000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisQuorumError);
      expect(error).toMatchObject({ name: "RedisQuorumError", reachable: 1, nodes: 3, quorum: 2 });
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(await admins[0]!.exists(redisLockKeys(backendKey("", k)).lock)).toBe(0);
      await control(1).resume();
      await control(2).resume();
      // The late SETs the paused servers run on resume are cleaned up too.
      await expectEventually(async () => (await countKeys(k)).every((c) => c === 0));
      await locks.close();
    },
  );

  it("rejects with RedisQuorumError when 2 of 3 servers refuse connections, leaving no key behind", async () => {
    const dead = await Promise.all([closedPort(), closedPort()]);
    const locks = createRedisLockProvider({
      urls: [servers[0]!.url, ...dead.map((port) => `redis://127.0.0.1:${port}`)],
      ioredis: module,
      nodeTimeout: 300,
    });
    const k = key("refused");
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = performance.now();
      const error = await locks
        .getLock(k)
        .acquire({ timeout: 20_000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisQuorumError);
      expect(performance.now() - started).toBeLessThan(2_000);
    }
    expect(await admins[0]!.exists(redisLockKeys(backendKey("", k)).lock)).toBe(0);
    await locks.close();
  });

  it("rides out a brief drop of every connection (no quorum error)", async () => {
    const locks = open();
    const k = key("drop");
    await (await locks.getLock(k).acquire()).release();
    await Promise.all(
      admins.map(async (admin) => {
        const list = String(await admin.call("CLIENT", "LIST"));
        for (const line of list.split("\n")) {
          const id =
            line.includes(` name=${locks.connectionName} `) && /\bid=(\d+)/.exec(line)?.[1];
          if (id) await admin.call("CLIENT", "KILL", "ID", id);
        }
      }),
    );
    const handle = await locks.getLock(k).acquire({ timeout: 5_000 });
    await handle.release();
    await locks.close();
  });

  it("counts a grant with no validity left as a failed attempt and releases it everywhere", async () => {
    // driftFixed larger than the ttl: every grant is born invalid.
    const locks = open({ driftFixed: 10_000 });
    const k = key("novalidity");
    expect(await locks.getLock(k, { ttl: 5_000 }).tryAcquire()).toBeUndefined();
    expect(await countKeys(k)).toEqual([0, 0, 0]);
    await locks.close();
  });

  faultTest("re-establishes the key on a restarted server while the quorum holds", async () => {
    const locks = open();
    const k = key("reestablish");
    const handle = await locks.getLock(k, { ttl: 3_000 }).acquire();
    await control(0).restart();
    expect(await admins[0]!.exists(redisLockKeys(backendKey("", k)).lock).catch(() => 0)).toBe(0);
    await expectEventually(
      async () => (await admins[0]!.exists(redisLockKeys(backendKey("", k)).lock)) === 1,
      10_000,
    );
    expect(handle.lost).toBe(false);
    const token = await admins[1]!.get(redisLockKeys(backendKey("", k)).lock);
    expect(await admins[0]!.get(redisLockKeys(backendKey("", k)).lock)).toBe(token);
    await handle.release();
    expect(await countKeys(k)).toEqual([0, 0, 0]);
    await locks.close();
  });

  it("never closes clients it was given", async () => {
    const Client = module.Redis as unknown as typeof Redis;
    const clients = servers.map((s) => new Client(s.url));
    const locks = createRedisLockProvider({ clients });
    const handle = await locks.getLock(key("given")).acquire();
    await locks.close();
    expect(handle.lost).toBe(true);
    expect(await Promise.all(clients.map((c) => c.ping()))).toEqual(["PONG", "PONG", "PONG"]);
    for (const client of clients) client.disconnect();
  });

  it("reports release of keys already gone instead of throwing", async () => {
    const locks = open();
    const k = key("gone");
    const handle = await locks.getLock(k, { autoExtend: false }).acquire();
    await expectEventually(async () => (await countKeys(k)).every((c) => c === 1));
    await Promise.all(admins.map((a) => a.del(redisLockKeys(backendKey("", k)).lock)));
    await expect(handle.release()).resolves.toBeUndefined();
    await locks.close();
  });

  it("loses the lock when a quorum of servers lost the key", async () => {
    const locks = open();
    const k = key("lost");
    const handle = await locks.getLock(k, { ttl: 600 }).acquire();
    await expectEventually(async () => (await countKeys(k)).every((c) => c === 1));
    await Promise.all(admins.slice(0, 2).map((a) => a.del(redisLockKeys(backendKey("", k)).lock)));
    await expectEventually(async () => handle.lost, 3_000);
    expect(handle.signal.reason).toMatchObject({ name: "LockLostError" });
    // The remaining key was released too, so others get in without waiting for its expiry.
    expect(await countKeys(k)).toEqual([0, 0, 0]);
    await locks.close();
  });
});

suite("Redlock with a server restarted without persistence under contention", () => {
  faultTest("never has two holders at once", async () => {
    const providers = Array.from({ length: 4 }, () =>
      createRedisLockProvider({ urls: servers.map((s) => s.url), ttl: 1_000 }),
    );
    const k = `restart-contention:${Date.now()}`;
    const holds: Array<{ start: number; end: number }> = [];
    let inside = 0;
    let overlaps = 0;
    let stop = false;
    const worker = async (index: number) => {
      const provider = providers[index % providers.length]!;
      while (!stop) {
        let handle: Awaited<ReturnType<ReturnType<typeof provider.getLock>["acquire"]>>;
        try {
          handle = await provider.getLock(k).acquire({ timeout: 2_000 });
        } catch {
          continue; // timeouts and quorum errors while a server restarts
        }
        inside++;
        if (inside > 1) overlaps++;
        const start = performance.now();
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
        const stillHeld = !handle.lost;
        inside--;
        holds.push({ start, end: performance.now() });
        await handle.release().catch(() => {});
        if (!stillHeld) continue;
      }
    };
    const workers = Array.from({ length: 8 }, (_, i) => worker(i));
    await new Promise((r) => setTimeout(r, 500));
    await control(0).restart();
    await new Promise((r) => setTimeout(r, 500));
    await control(1).restart();
    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    await Promise.all(workers);
    await Promise.all(providers.map((p) => p.close()));
    holds.sort((a, b) => a.start - b.start);
    for (let i = 1; i < holds.length; i++) {
      expect(holds[i]!.start, "two holds overlap").toBeGreaterThanOrEqual(holds[i - 1]!.end);
    }
    expect(overlaps).toBe(0);
    expect(holds.length).toBeGreaterThan(20);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function expectEventually(check: () => Promise<boolean>, within = 5_000): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > within) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}
