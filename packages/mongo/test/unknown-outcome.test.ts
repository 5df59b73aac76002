import { startTcpProxy } from "@locks/testing";
import type { MongoClient } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";
import { createMongoLockProvider, type MongoLockProviderOptions } from "../src/index.js";
import { mongoCommand, onePerServer, type Target, targetsOrSkip, testDatabase } from "./server.js";

const targets = await targetsOrSkip();
const perServer = onePerServer(targets);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The protocols each server runs (FerretDB only the ledger: its upserts are not atomic). */
function protocolsOf(target: Target): Array<MongoLockProviderOptions["protocol"]> {
  return target.server.flavor === "ferretdb" ? ["ledger"] : ["document", "ledger"];
}

/**
 * An acquire whose write the server applied but whose reply was lost: the caller gets a network
 * error, so it cannot know it holds the key. The provider gives back whatever that attempt may
 * hold; otherwise the key would stay taken by an owner nobody knows until its ttl ran out.
 */
describe.skipIf(perServer.length === 0).each(perServer)(
  "an acquire whose outcome is unknown, on $name",
  (target: Target) => {
    const { client, database } = testDatabase(target, "unknown");
    const cleanups: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
    });

    it.each(protocolsOf(target))(
      "%s protocol: gives back the grant it may hold",
      async (protocol) => {
        const proxy = await startTcpProxy(target.server);
        const far: MongoClient = target.client({
          url: `mongodb://${proxy.host}:${proxy.port}/?directConnection=true`,
        });
        const options = { database, protocol, changeStream: false } as const;
        const a = createMongoLockProvider({ client: far, ...options });
        const b = createMongoLockProvider({ client, ...options });
        cleanups.push(
          () => a.close(),
          () => b.close(),
          () => far.close(),
          () => proxy.close(),
        );
        await a.ready();
        await b.ready();
        const key = `unknown-${protocol}-${Math.random()}`;

        proxy.dropReplies(mongoCommand(protocol === "document" ? "findAndModify" : "insert"));
        const attempt = a.backend.tryAcquire(a.backendKey(key), 60_000).then(
          () => "answered",
          (error: unknown) => error,
        );
        // The server applied the grant: the key is held by the attempt's owner token.
        for (let i = 0; i < 200 && !(await b.inspect(key))?.owner; i++) await delay(25);
        const orphan = await b.inspect(key);
        expect(orphan?.owner, "the write reached the server").toBeTruthy();
        expect(await b.getLock(key).tryAcquire()).toBeUndefined();
        proxy.dropConnections();
        const outcome = await attempt;
        expect(outcome, "the attempt saw a network error, not an answer").toBeInstanceOf(Error);

        // Given back long before its 60 s lease would have ended.
        let next: Awaited<ReturnType<ReturnType<typeof b.getLock>["tryAcquire"]>>;
        for (let i = 0; i < 200 && !next; i++) {
          next = await b.getLock(key).tryAcquire();
          if (!next) await delay(50);
        }
        expect(next, "another node takes the key within 10 s").toBeDefined();
        expect(next!.fencingToken!).toBeGreaterThan(orphan!.fencingToken);
        await next!.release();
      },
    );
  },
);
