import { afterEach, describe, expect, it } from "vitest";
import { createMongoFaults, type MongoFaultsOptions } from "../src/faults.js";
import { createMongoLockProvider, type MongoLockProvider } from "../src/index.js";
import { onePerServer, type Target, targetsOrSkip, testDatabase } from "./server.js";

const targets = await targetsOrSkip();
const perServer = onePerServer(targets);

describe("createMongoFaults options", () => {
  it("rejects missing options before any I/O", () => {
    expect(() => createMongoFaults(null as unknown as MongoFaultsOptions)).toThrow(TypeError);
    expect(() => createMongoFaults(undefined as unknown as MongoFaultsOptions)).toThrow(TypeError);
  });
});

/** `@locks/mongo/faults` on a collection and prefix of the application's choosing. */
describe.skipIf(perServer.length === 0).each(perServer)("breakLock on $name", (target: Target) => {
  const { client, database } = testDatabase(target, "faults");
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("frees the key in the named collection behind its holder's back", async () => {
    const collection = "app_locks";
    const app: MongoLockProvider = createMongoLockProvider({
      client,
      database,
      collection,
      prefix: "app:",
    });
    const faults = createMongoFaults({ client, database, collection });
    closers.push(
      () => app.close(),
      () => faults.close(),
    );
    const held = await app.getLock("k", { ttl: 800 }).acquire();
    await faults.breakLock("k", "app:");
    // The holder learns it on its next renewal.
    await new Promise((resolve) => held.signal.addEventListener("abort", resolve));
    const next = await app.getLock("k").tryAcquire();
    expect(next).toBeDefined();
    expect(next!.fencingToken!).toBeGreaterThan(held.fencingToken!);
    await next!.release();
  });
});
