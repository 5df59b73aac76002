import { describe, expect, it } from "vitest";
import { createMongoLockProvider, MongoFeatureUnsupportedError } from "../src/index.js";
import { onePerServer, type Target, targetsOrSkip, testDatabase } from "./server.js";

const targets = await targetsOrSkip();
const perServer = onePerServer(targets);

/**
 * The change-stream wake-up against a real stream: the holder's lease is long (30 s), so nothing
 * but the stream can wake the listener within the bound.
 */
describe.skipIf(perServer.length === 0).each(perServer)(
  "change stream on $name",
  (target: Target) => {
    const { client, database } = testDatabase(target, "stream");

    it("wakes a subscriber of the released key (and only then), or is refused where missing", async () => {
      const a = createMongoLockProvider({ client, database, changeStream: true });
      const b = createMongoLockProvider({ client, database, changeStream: true });
      try {
        const ready = b.ready();
        if (target.server.flavor === "ferretdb") {
          await expect(ready).rejects.toBeInstanceOf(MongoFeatureUnsupportedError);
          return;
        }
        expect((await ready).changeStream).toBe(true);
        const key = `stream-${Math.random()}`;
        const other = `stream-other-${Math.random()}`;
        const held = await a.getLock(key, { ttl: 30_000 }).acquire();
        const heldOther = await a.getLock(other, { ttl: 30_000 }).acquire();
        const woken: string[] = [];
        let wake: () => void = () => {};
        const wokenOnce = new Promise<void>((resolve) => {
          wake = resolve;
        });
        const stop = await b.backend.onReleased(key, () => {
          woken.push(key);
          wake();
        });
        expect(b.capabilities.notifications).toBe(true);
        const released = performance.now();
        await held.release();
        await wokenOnce;
        const latency = performance.now() - released;
        expect(latency).toBeLessThan(5_000);
        stop();
        const count = woken.length;
        await heldOther.release();
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(woken.length, "an unsubscribed listener is never called").toBe(count);
      } finally {
        await a.close();
        await b.close();
      }
    });
  },
);
