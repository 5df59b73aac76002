import { describe, expect, it } from "vitest";
import { assertLeaseFits, leaseEnd, MAX_DATE_MS } from "../src/expiry.js";
import { createMongoLockProvider, type MongoLockProviderOptions } from "../src/index.js";
import { onePerServer, type Target, targetsUnderTest, testDatabase } from "./server.js";

describe("lease ends are checked against the range of a Date", () => {
  it("accepts ordinary ttls and refuses those ending past the last Date, before any I/O", () => {
    expect(() => assertLeaseFits(30_000)).not.toThrow();
    expect(() => assertLeaseFits(10 * 365 * 86_400_000)).not.toThrow();
    for (const ttl of [Number.MAX_SAFE_INTEGER, MAX_DATE_MS, MAX_DATE_MS - Date.now(), 1e20]) {
      expect(() => assertLeaseFits(ttl)).toThrow(RangeError);
    }
    expect(() => assertLeaseFits(Number.NaN)).toThrow(RangeError);
    expect(() => assertLeaseFits(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it("never builds an invalid Date", () => {
    expect(leaseEnd(1_000, 500).getTime()).toBe(1_500);
    expect(() => leaseEnd(Date.now(), Number.MAX_SAFE_INTEGER)).toThrow(RangeError);
  });
});

/** A RangeError, or core's wrapping of the backend's RangeError. */
const rangeError = (error: unknown) =>
  error instanceof RangeError || (error as { cause?: unknown })?.cause instanceof RangeError;

const { targets } = await targetsUnderTest();
const perServer = onePerServer(targets);

describe.skipIf(perServer.length === 0).each(perServer)(
  "ttl beyond a Date on $name",
  (target: Target) => {
    const { client, database } = testDatabase(target, "ttlrange");

    const protocols: Array<MongoLockProviderOptions["protocol"]> = ["auto", "ledger"];
    it.each(protocols)(
      "protocol %s: refused, nothing stored, the key stays free",
      async (protocol) => {
        const a = createMongoLockProvider({ client, database, protocol });
        const b = createMongoLockProvider({ client, database, protocol });
        try {
          await a.ready();
          const key = `huge-ttl-${Math.random()}`;
          // Core bounds ttl too (it may throw at getLock): either way nothing reaches the server.
          await expect(
            (async () =>
              a.getLock(key, { ttl: Number.MAX_SAFE_INTEGER }).acquire({ timeout: 0 }))(),
          ).rejects.toSatisfy(rangeError);
          // Straight at the backend, below whatever bound core applies.
          await expect(a.backend.tryAcquire(key, MAX_DATE_MS)).rejects.toThrow(RangeError);
          expect(await a.inspect(key)).toBeUndefined();
          // A lock taken with a normal ttl cannot be renewed into an invalid date either.
          const held = await a.getLock(key, { autoExtend: false }).acquire();
          await expect((async () => held.extend(Number.MAX_SAFE_INTEGER))()).rejects.toSatisfy(
            rangeError,
          );
          expect(await b.getLock(key).tryAcquire()).toBeUndefined();
          expect((await a.inspect(key))!.expiresAt.getTime()).toBeGreaterThan(Date.now());
          await held.release();
        } finally {
          await a.close();
          await b.close();
        }
      },
    );
  },
);
