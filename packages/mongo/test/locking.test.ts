import { LockLostError } from "@locks/core";
import type { MongoClient } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMongoLockProvider,
  MongoFeatureUnsupportedError,
  type MongoLockProvider,
  type MongoLockProviderOptions,
} from "../src/index.js";
import {
  onePerServer,
  skipWithoutServers,
  type Target,
  targetsUnderTest,
  testDatabase,
  uniqueDatabase,
} from "./server.js";

const { targets, skipped } = await targetsUnderTest();
for (const reason of skipped) console.warn(`[@locks/mongo] ${reason}`);
skipWithoutServers(targets, skipped);

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(targets.length === 0).each(targets)("on $name", (target: Target) => {
  const { server } = target;
  const url = server.url;
  const { client, database } = testDatabase(target, target.driver.name.replace(/\W/g, ""));
  let open: MongoLockProvider[] = [];
  let clients: MongoClient[] = [];

  function provider(options: Partial<MongoLockProviderOptions> = {}): MongoLockProvider {
    const p = createMongoLockProvider({ client, database, ...options });
    open.push(p);
    return p;
  }
  /** A provider with its own client and connection pool: one more "node". */
  function node(options: Partial<MongoLockProviderOptions> = {}): MongoLockProvider {
    const own = target.client({ maxPoolSize: 5 });
    clients.push(own);
    const p = createMongoLockProvider({ client: own, database, ...options });
    open.push(p);
    return p;
  }

  afterEach(async () => {
    await Promise.all(open.map((p) => p.close()));
    await Promise.all(clients.map((c) => c.close()));
    open = [];
    clients = [];
  });

  it("50 concurrent first acquires of a new key: exactly one winner, no exception", async () => {
    const nodes = Array.from({ length: 5 }, () => node());
    await Promise.all(nodes.map((n) => n.ready()));
    const key = `first-${Math.random()}`;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => nodes[i % nodes.length]!.getLock(key).tryAcquire()),
    );
    const rejected = outcomes.filter((o) => o.status === "rejected");
    expect(rejected).toEqual([]);
    const handles = outcomes.flatMap((o) => (o.status === "fulfilled" && o.value ? [o.value] : []));
    expect(handles).toHaveLength(1);
    const state = await nodes[0]!.inspect(key);
    expect(state?.owner).toBeTypeOf("string");
    expect(state?.fencingToken).toBe(handles[0]!.fencingToken);
    await handles[0]!.release();
  });

  it("decides expiry in the query right after expiresAt, not by a TTL monitor", async () => {
    const a = node();
    const b = node();
    const key = `expiry-${Math.random()}`;
    const held = await a.getLock(key, { ttl: 600, autoExtend: false }).acquire();
    const state = await a.inspect(key);
    expect(state?.fencingToken).toBe(held.fencingToken);
    const expiresAt = state!.expiresAt.getTime();
    expect(await b.getLock(key).tryAcquire()).toBeUndefined();

    // Poll until the takeover succeeds and record when, on the server's clock.
    const serverNow = async () =>
      ((await client.db(database).command({ isMaster: 1 })).localTime as Date).getTime();
    let taken: Awaited<ReturnType<ReturnType<typeof b.getLock>["tryAcquire"]>>;
    let takenAt = 0;
    for (;;) {
      const before = await serverNow();
      taken = await b.getLock(key).tryAcquire();
      if (taken) {
        takenAt = before;
        break;
      }
      expect(before).toBeLessThan(expiresAt + 1_000);
      await delay(5);
    }
    // Not before the lease ended, and well before any TTL monitor pass (60 s).
    expect(await serverNow()).toBeGreaterThanOrEqual(expiresAt);
    expect(takenAt).toBeLessThan(expiresAt + 500);
    expect(held.lost || (await held.signal.aborted)).toBe(true);
    expect((await a.inspect(key))?.fencingToken).toBe(taken.fencingToken);
    expect(taken.fencingToken!).toBeGreaterThan(held.fencingToken!);
    await taken.release();
  });

  it("keeps fencing tokens strictly increasing across release, expiry and takeover", async () => {
    const a = node();
    const b = node();
    const key = `fence-${Math.random()}`;
    const tokens: bigint[] = [];
    const h1 = await a.getLock(key).acquire();
    tokens.push(h1.fencingToken!);
    await h1.release();
    const h2 = await b.getLock(key).acquire();
    tokens.push(h2.fencingToken!);
    await h2.release();
    const h3 = await a.getLock(key, { ttl: 300, autoExtend: false }).acquire();
    tokens.push(h3.fencingToken!);
    const h4 = await b.getLock(key).acquire({ timeout: 5_000 }); // after expiry
    tokens.push(h4.fencingToken!);
    // Takeover behind the holder's back: the owner is cleared, the counter stays.
    await a.forceRelease(key);
    const h5 = await a.getLock(key).acquire({ timeout: 5_000 });
    tokens.push(h5.fencingToken!);
    await h5.release();
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    await h4.release(); // stale: must not touch anything
  });

  it("a stale holder can neither renew nor release the new holder's lock", async () => {
    const a = node();
    const b = node();
    const key = `stale-${Math.random()}`;
    const stale = await a.getLock(key, { ttl: 300, autoExtend: false }).acquire();
    const fresh = await b.getLock(key).acquire({ timeout: 5_000 });
    const staleLease = (stale as unknown as { lease: Parameters<typeof a.backend.extend>[0] })
      .lease;
    // Straight at the backend, bypassing the handle's local state.
    expect(await a.backend.extend(staleLease, 60_000)).toBe("lost");
    expect(await a.backend.release(staleLease)).toBe(false);
    await expect(stale.extend()).rejects.toBeInstanceOf(LockLostError);
    await stale.release();
    expect(await node().getLock(key).tryAcquire()).toBeUndefined();
    const freshLease = (fresh as unknown as { lease: { token: string } }).lease;
    expect((await a.inspect(key))?.owner).toBe(freshLease.token);
    await fresh.release();
  });

  it("renews in the background and releases on dispose", async () => {
    const a = node();
    const b = node();
    const key = `renew-${Math.random()}`;
    {
      await using held = await a.getLock(key, { ttl: 600 }).acquire();
      await delay(1_800);
      expect(held.lost).toBe(false);
      expect(await b.getLock(key).tryAcquire()).toBeUndefined();
    }
    const next = await b.getLock(key).tryAcquire();
    expect(next).toBeDefined();
    await next!.release();
  });

  it("wakes a waiter soon after a release", async () => {
    const a = node();
    const b = node();
    const key = `wake-${Math.random()}`;
    const held = await a.getLock(key).acquire();
    const waiting = b.getLock(key).acquire({ timeout: 10_000 });
    await delay(300);
    const released = performance.now();
    await held.release();
    const next = await waiting;
    expect(performance.now() - released).toBeLessThan(1_000);
    await next.release();
  });

  it("never closes a client it was given", async () => {
    const p = provider();
    const h = await p.getLock(`given-${Math.random()}`).acquire();
    await p.close();
    expect(h.lost).toBe(true);
    const ping = await client.db(database).command({ ping: 1 });
    expect(ping.ok).toBe(1);
  });

  it("closes a client it created", async (ctx) => {
    if (server.flavor === "mongo-java-server") {
      ctx.skip(
        "a client created from the url option is a mongodb 7 client, which mongo-java-server refuses",
      );
    }
    const p = createMongoLockProvider({ url, database });
    open.push(p);
    await p.ready();
    let closed = false;
    p.client.on("topologyClosed", () => {
      closed = true;
    });
    await p.close();
    expect(closed).toBe(true);
  });

  it("reports what it detected", async () => {
    const p = provider();
    const features = await p.ready();
    if (server.flavor === "mongo-java-server") {
      // Atomic upserts and change streams, no update pipelines: the document protocol on the
      // measured clock offset. The stream opens, and is given up: the server answers its idle
      // reads at once, so waiters poll.
      expect(features).toMatchObject({
        protocol: "document",
        serverClock: false,
        ttlIndex: "created",
        flavor: "mongodb",
      });
      await expect.poll(() => p.features?.changeStream).toBe(false);
      expect(await p.ready()).toEqual({ ...features, changeStream: false });
      expect(p.capabilities.notifications).toBe(false);
    } else {
      expect(p.features).toEqual(features);
    }
    if (server.flavor === "ferretdb") {
      expect(features).toMatchObject({
        protocol: "ledger",
        serverClock: false,
        changeStream: false,
        flavor: "ferretdb",
      });
      expect(p.capabilities.notifications).toBe(false);
    }
    expect(p.capabilities).toMatchObject({ fencing: true, leases: true, distributed: true });
  });

  it("rejects a server clock where update pipelines fail (mongo-java-server)", async (ctx) => {
    if (server.flavor !== "mongo-java-server")
      ctx.skip(
        "only mongo-java-server has change streams but no update pipelines (the server clock)",
      );
    const serverClock = provider({ timeSource: "server" });
    await expect(serverClock.ready()).rejects.toBeInstanceOf(MongoFeatureUnsupportedError);
    const stream = provider({ changeStream: true });
    expect((await stream.ready()).changeStream).toBe(true);
  });

  it("rejects options the server cannot honour with MongoFeatureUnsupportedError", async (ctx) => {
    if (server.flavor !== "ferretdb") {
      ctx.skip("only FerretDB lacks the server clock, change streams and the document protocol");
      return;
    }
    const serverClock = provider({ timeSource: "server" });
    await expect(serverClock.ready()).rejects.toBeInstanceOf(MongoFeatureUnsupportedError);
    await expect(serverClock.getLock("k").tryAcquire()).rejects.toBeInstanceOf(
      MongoFeatureUnsupportedError,
    );
    const stream = provider({ changeStream: true });
    await expect(stream.ready()).rejects.toThrow(/change streams/);
    const document = provider({ protocol: "document" });
    await expect(document.ready()).rejects.toThrow(/atomic conditional updates/);
  });

  it("works with the clock-offset path forced", async () => {
    const a = node({ timeSource: "offset" });
    const b = node({ timeSource: "offset" });
    expect((await a.ready()).serverClock).toBe(false);
    const key = `offset-${Math.random()}`;
    const h = await a.getLock(key, { ttl: 300, autoExtend: false }).acquire();
    expect(await b.getLock(key).tryAcquire()).toBeUndefined();
    const next = await b.getLock(key).acquire({ timeout: 5_000 });
    expect(next.fencingToken!).toBeGreaterThan(h.fencingToken!);
    await next.release();
  });
});

/** One target per server (restarting it once is enough). */
const perServer = onePerServer(targets);

describe.skipIf(perServer.length === 0).each(perServer)(
  "on $name, across a server restart",
  (target: Target) => {
    it("keeps fencing tokens strictly increasing and never has two holders", async (ctx) => {
      const { server } = target;
      if (!server.control) {
        ctx.skip("the test server has no restart control (it was given by URL)");
        return;
      }
      const database = uniqueDatabase("restart");
      const clients = [0, 1].map(() => target.client({ serverSelectionTimeoutMS: 20_000 }));
      const a = createMongoLockProvider({ client: clients[0]!, database });
      const b = createMongoLockProvider({ client: clients[1]!, database });
      try {
        const key = `restart-${Math.random()}`;
        const before = await a.getLock(key).acquire();
        await before.release();
        const held = await a.getLock(key, { ttl: 1_500 }).acquire();
        await server.control.restart();
        // The lock survives on disk (mongo-java-server: it is lost, and the epoch part of the
        // token keeps tokens increasing); whether the holder kept it depends on renewals during the
        // restart. Either way there is one holder, and the next grant's token is greater.
        await delay(2_000);
        const probe = await b.getLock(key).tryAcquire();
        if (held.lost) {
          const next = probe ?? (await b.getLock(key).acquire({ timeout: 10_000 }));
          expect(next.fencingToken!).toBeGreaterThan(held.fencingToken!);
          await next.release();
        } else {
          expect(probe, "two holders after a restart").toBeUndefined();
          await held.release();
          const next = await b.getLock(key).acquire({ timeout: 10_000 });
          expect(next.fencingToken!).toBeGreaterThan(held.fencingToken!);
          await next.release();
        }
        expect(held.fencingToken!).toBeGreaterThan(before.fencingToken!);
      } finally {
        await a.close();
        await b.close();
        for (const c of clients) await c.close();
      }
    }, 60_000);
  },
);
