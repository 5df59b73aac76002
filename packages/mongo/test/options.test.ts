import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { createMongoLockProvider, type MongoLockProviderOptions } from "../src/index.js";

const url = "mongodb://127.0.0.1:1/";

describe("createMongoLockProvider options", () => {
  const bad: Array<[string, unknown, ErrorConstructor]> = [
    ["no options", undefined, TypeError],
    ["neither url nor client", {}, TypeError],
    ["both url and client", { url, client: new MongoClient(url) }, TypeError],
    ["a url that is not mongodb://", { url: "redis://127.0.0.1:1" }, TypeError],
    ["a url that is not a string", { url: 27017 }, TypeError],
    ["a client that is not a MongoClient", { client: {} }, TypeError],
    ["clientOptions with a client", { client: new MongoClient(url), clientOptions: {} }, TypeError],
    ["an empty database", { url, database: "" }, TypeError],
    ["a collection that is not a string", { url, collection: 5 }, TypeError],
    ["a system collection", { url, collection: "system.locks" }, TypeError],
    ["an unknown timeSource", { url, timeSource: "local" }, TypeError],
    ["an unknown protocol", { url, protocol: "fast" }, TypeError],
    [
      "the ledger with the server clock",
      { url, protocol: "ledger", timeSource: "server" },
      TypeError,
    ],
    ["clientOptions null", { url, clientOptions: null }, TypeError],
    ["clientOptions that is not an object", { url, clientOptions: "w=1" }, TypeError],
    ["a changeStream that is not a boolean", { url, changeStream: "yes" }, TypeError],
    ["expireAfter below a minute", { url, expireAfter: 1_000 }, RangeError],
    ["expireAfter NaN", { url, expireAfter: Number.NaN }, RangeError], // as core checks every duration,
    ["expireAfter Infinity", { url, expireAfter: Number.POSITIVE_INFINITY }, RangeError],
    ["a writeConcern that is not an object", { url, writeConcern: "majority" }, TypeError],
    ["manageIndexes not a boolean", { url, manageIndexes: 1 }, TypeError],
    ["an unknown fairness", { url, fairness: "fair" }, TypeError],
    ["an unknown option", { url, colection: "x" }, TypeError],
    ["a negative ttl", { url, ttl: -1 }, RangeError],
    ["a negative ttl with a given client", { client: new MongoClient(url), ttl: -1 }, RangeError],
    ["a NaN ttl", { url, ttl: Number.NaN }, RangeError],
    ["a prefix that is not a string", { url, prefix: 1 }, TypeError],
    ["wait.maxDelay below minDelay", { url, wait: { minDelay: 100, maxDelay: 10 } }, RangeError],
  ];
  it.each(bad)("rejects %s", (_, options, type) => {
    expect(() => createMongoLockProvider(options as MongoLockProviderOptions)).toThrow(type);
  });

  it("names the argument in the message", () => {
    expect(() => createMongoLockProvider({ url, ttl: -5 })).toThrow(/ttl/);
    expect(() => createMongoLockProvider({ url, expireAfter: 5 })).toThrow(/expireAfter/);
    expect(() =>
      createMongoLockProvider({ url, colection: "x" } as MongoLockProviderOptions),
    ).toThrow(/"colection"/);
  });

  it("accepts the documented defaults without I/O", async () => {
    const provider = createMongoLockProvider({ url });
    expect(provider.capabilities).toMatchObject({ fencing: true, leases: true, distributed: true });
    expect(provider.capabilities.notifications).toBe(false);
    expect(provider.collection.collectionName).toBe("locks");
    expect(provider.collection.dbName).toBe("test");
    expect(provider.collection.writeConcern?.w).toBe("majority");
    await provider.close();
  });

  it("takes the database from the connection string, and names from options", async () => {
    const fromUrl = createMongoLockProvider({ url: "mongodb://127.0.0.1:1/app" });
    expect(fromUrl.collection.dbName).toBe("app");
    const named = createMongoLockProvider({
      url,
      database: "db1",
      collection: "mutexes",
      writeConcern: { w: 1 },
    });
    expect(named.collection.dbName).toBe("db1");
    expect(named.collection.collectionName).toBe("mutexes");
    expect(named.collection.writeConcern?.w).toBe(1);
    await Promise.all([fromUrl.close(), named.close()]);
  });
});

describe("exports", () => {
  it("re-exports core's errors, withLock and one way to build a provider", async () => {
    const core = await import("@locks/core");
    const mongo = await import("../src/index.js");
    for (const name of [
      "LockTimeoutError",
      "LockLostError",
      "LockBackendError",
      "InvalidLockKeyError",
      "LockProviderClosedError",
      "LockError",
      "withLock",
    ] as const) {
      expect(mongo[name], name).toBe(core[name]);
    }
    const viaClass = new mongo.MongoLockProvider({ url: "mongodb://127.0.0.1:1/x" });
    const viaFunction = mongo.createMongoLockProvider({ url: "mongodb://127.0.0.1:1/x" });
    expect(viaFunction).toBeInstanceOf(mongo.MongoLockProvider);
    expect(viaFunction.capabilities).toEqual(viaClass.capabilities);
    await viaClass.close();
    await viaFunction.close();
  });
});
