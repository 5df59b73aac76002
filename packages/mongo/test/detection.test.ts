import { startTcpProxy } from "@locks/testing";
import { MongoNetworkError } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMongoLockProvider,
  MongoFeatureUnsupportedError,
  type MongoLockProvider,
  type MongoLockProviderOptions,
} from "../src/index.js";
import { mongoCommand, onePerServer, type Target, targetsOrSkip, testDatabase } from "./server.js";

const targets = await targetsOrSkip();
const perServer = onePerServer(targets);
const TTL_INDEX = "locks_expiresAt_ttl";
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Decisions of detection and of the document protocol's wake-ups that the lock tests do not reach:
 * the garbage-collection index left to the operator or already there with other options, a change
 * stream demanded where the document protocol has none, a lease longer than a timer can wait, and
 * the provider after close. The document protocol is forced everywhere (on FerretDB one operation
 * at a time, as in the document protocol tests), since only it has a TTL index and a change stream.
 */
describe.skipIf(perServer.length === 0).each(perServer)("detection on $name", (target: Target) => {
  const { client, database } = testDatabase(target, "detect");
  const ferretdb = target.server.flavor === "ferretdb";
  let open: MongoLockProvider[] = [];
  const provider = (collection: string, options: Partial<MongoLockProviderOptions> = {}) => {
    const p = createMongoLockProvider({
      client,
      database,
      collection,
      protocol: "document",
      ...options,
    });
    p.backend.allowDocumentOnFerretDB = true;
    open.push(p);
    return p;
  };
  const indexes = (collection: string) =>
    client.db(database).collection(collection).listIndexes().toArray();
  const unique = (label: string) => `${label}_${Math.random().toString(36).slice(2)}`;
  afterEach(async () => {
    await Promise.all(open.map((p) => p.close()));
    open = [];
  });

  it("leaves the TTL index to the operator with expireAfter: null or manageIndexes: false", async () => {
    const settings: Array<Partial<MongoLockProviderOptions>> = [
      { expireAfter: null },
      { manageIndexes: false },
    ];
    for (const options of settings) {
      const collection = unique("noindex");
      const p = provider(collection, options);
      expect((await p.ready()).ttlIndex, JSON.stringify(options)).toBe("disabled");
      // The lock works without it, and nothing created the index behind the operator's back.
      await (await p.getLock("k").acquire()).release();
      const names = (await indexes(collection)).map((index) => index.name);
      expect(names, JSON.stringify(options)).not.toContain(TTL_INDEX);
    }
    // The default, for contrast: created where the server has TTL indexes.
    const collection = unique("index");
    const { ttlIndex } = await provider(collection).ready();
    expect(ttlIndex).toBe(ferretdb ? "unsupported" : "created");
    if (!ferretdb) expect((await indexes(collection)).map((i) => i.name)).toContain(TTL_INDEX);
  });

  it("keeps an operator's TTL index of other options", async (ctx) => {
    if (ferretdb) ctx.skip("FerretDB 1.x has no TTL indexes: no operator's index to keep");
    const collection = unique("operator_index");
    await client
      .db(database)
      .collection(collection)
      .createIndex({ expiresAt: 1 }, { name: TTL_INDEX, expireAfterSeconds: 7_200 });
    // expireAfter differs from the operator's two hours. MongoDB refuses the provider's index
    // (85 IndexOptionsConflict); mongo-java-server 1.47 accepts it and changes nothing. Either
    // way the operator's index stays as it was.
    const p = provider(collection, { expireAfter: 86_400_000 });
    expect((await p.ready()).ttlIndex).toBe("created");
    const kept = (await indexes(collection)).find((index) => index.name === TTL_INDEX);
    expect(kept?.expireAfterSeconds).toBe(7_200);
    await (await p.getLock("k").acquire()).release();
  });

  it("grants a demanded change stream where the server has one and refuses it elsewhere", async () => {
    const p = provider(unique("stream"), { changeStream: true });
    if (ferretdb) {
      // The document protocol itself is possible there; what fails is the stream's probe.
      await expect(p.ready()).rejects.toBeInstanceOf(MongoFeatureUnsupportedError);
      await expect(p.ready()).rejects.toThrow(/change streams/);
      return;
    }
    expect(await p.ready()).toMatchObject({ protocol: "document", changeStream: true });
  });

  it("times a lease longer than a timer can wait without a timer that fires at once", async () => {
    const collection = unique("long");
    const holder = provider(collection);
    const waiter = provider(collection, { changeStream: false });
    const key = holder.backendKey("k");
    // 30 days: past setTimeout's 2^31 - 1 ms, which Node would shorten to 1 ms.
    const month = 30 * 86_400_000;
    const lease = await holder.backend.tryAcquire(key, month);
    expect(lease).toBeDefined();
    let calls = 0;
    const stop = await waiter.backend.onReleased(key, () => {
      calls++;
    });
    // The renewal is not given up on at once, nor the release cut short.
    expect(await holder.backend.extend(lease!, month)).toBe("renewed");
    await delay(300);
    stop();
    expect(calls, "the holder's lease has 30 days left: nothing may wake the waiter").toBe(0);
    expect(await holder.backend.release(lease!)).toBe(true);

    // The same wake-up for a lease that a timer can wait for fires once it has run out.
    const short = await holder.backend.tryAcquire(key, 200);
    expect(short).toBeDefined();
    let woken: () => void = () => {};
    const wake = new Promise<void>((resolve) => {
      woken = resolve;
    });
    const stopShort = await waiter.backend.onReleased(key, () => woken());
    await expect(Promise.race([wake.then(() => "woken"), delay(5_000)])).resolves.toBe("woken");
    stopShort();
  });

  it("subscribes without waiting for the holder's expiry, and wakes the waiter if it cannot be read", async () => {
    const collection = unique("subscribe");
    const holder = provider(collection);
    const key = holder.backendKey("k");
    expect(await holder.backend.tryAcquire(key, 60_000)).toBeDefined();
    const proxy = await startTcpProxy(target.server);
    const far = target.client({
      url: `mongodb://${proxy.host}:${proxy.port}/?directConnection=true&retryReads=false`,
    });
    try {
      const waiter = provider(collection, { client: far, changeStream: false });
      await waiter.ready();
      // The expiry is a `find`; its reply never comes.
      proxy.dropReplies(mongoCommand("find"));
      let woken = 0;
      const started = performance.now();
      const stop = await Promise.race([
        waiter.backend.onReleased(key, () => {
          woken++;
        }),
        delay(2_000).then(() => undefined),
      ]);
      expect(stop, "the subscription waited for the holder's expiry").toBeDefined();
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(woken, "the holder holds for a minute: nothing woke the waiter yet").toBe(0);
      // The read fails: the waiter is woken, so that its attempt finds out what is wrong.
      proxy.dropConnections();
      const deadline = performance.now() + 5_000;
      while (woken === 0 && performance.now() < deadline) await delay(20);
      expect(woken).toBe(1);
      stop?.();
    } finally {
      await proxy.close();
      await far.close();
    }
  });

  it("fails detection on a network error during a probe instead of deciding", async () => {
    // The server-clock probe is an `update`, the TTL index a `createIndexes`, the change-stream
    // probe an `aggregate`. A refusal means "feature missing"; a lost connection says nothing
    // about features, so nothing may be decided from it (on MongoDB that would silently drop the
    // server clock or the stream). Detecting again after a failure is the outage tests' subject.
    for (const command of ["update", "createIndexes", "aggregate"]) {
      const proxy = await startTcpProxy(target.server);
      const far = target.client({
        url: `mongodb://${proxy.host}:${proxy.port}/?directConnection=true`,
      });
      try {
        const p = provider(unique("probe"), { client: far });
        proxy.dropReplies(mongoCommand(command));
        const detecting = p.ready().then(
          () => undefined,
          (error: unknown) => error,
        );
        // Give the probe time to be sent, then lose its connection.
        await delay(500);
        proxy.dropConnections();
        const error = await detecting;
        expect(error, command).toBeInstanceOf(Error);
        expect((error as Error).name, command).toMatch(/^MongoNetwork/);
        expect(p.features, command).toBeUndefined();
      } finally {
        await far.close();
        await proxy.close();
      }
    }
  });

  it("refuses operations once closed, closes only once and retries nothing after", async () => {
    const p = provider(unique("closed"));
    await p.ready();
    const network = new MongoNetworkError("connection reset");
    expect(p.backend.isRetryable(network)).toBe(true);
    await p.close();
    await p.close();
    await p.backend.close();
    expect(p.backend.isRetryable(network)).toBe(false);
    await expect(p.backend.tryAcquire("k", 1_000)).rejects.toThrow(/closed/);
  });
});
