import { afterAll, describe, expect, it } from "vitest";
import { createMongoLockProvider, type MongoLockProvider } from "../src/index.js";
import type { Ledger } from "../src/ledger.js";
import type { MongoLease as LedgerLease } from "../src/protocol.js";
import { onePerServer, type Target, targetsOrSkip, testDatabase } from "./server.js";

const targets = await targetsOrSkip();
/** One driver per server: the protocol's rules do not depend on the driver. */
const perServer = onePerServer(targets);

/** The append-only protocol's own safety rules, on every server the run has. */
describe.skipIf(perServer.length === 0).each(perServer)(
  "ledger protocol on $name",
  (target: Target) => {
    const { client, database } = testDatabase(target, "ledger");
    const open: MongoLockProvider[] = [];
    const node = () => {
      const p = createMongoLockProvider({ client, database, protocol: "ledger" });
      open.push(p);
      return p;
    };
    const ledgerOf = (p: MongoLockProvider) => p.backend.protocol as Ledger;
    afterAll(async () => {
      await Promise.all(open.map((p) => p.close()));
    });

    it("reports a released key as free and breaks an unknown key without writing", async () => {
      const a = node();
      const b = node();
      const key = `inspect-${Math.random()}`;
      await b.forceRelease(key); // never locked: nothing to break, nothing written
      expect(await countGrants(b, key)).toBe(0);
      expect(await a.inspect(key)).toBeUndefined();
      const handle = await a.getLock(key).acquire();
      const lease = (handle as unknown as { lease: LedgerLease }).lease;
      // Grants are known only to the provider that made them: another one cannot touch them.
      expect(await b.backend.extend(lease, 10_000)).toBe("lost");
      expect(await b.backend.release(lease)).toBe(false);
      expect((await a.inspect(key))?.owner).toBe(lease.token);
      await handle.release();
      const released = await a.inspect(key);
      expect(released).toMatchObject({ owner: null, fencingToken: 1n });
      // A waiter is not timed to the expiry of a released grant.
      let calls = 0;
      const stop = await b.backend.onReleased(b.backendKey(key), () => {
        calls++;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      stop();
      expect(calls).toBe(0);
    });

    it("a contender that read long ago cannot win by re-inserting a collected grant", async () => {
      const a = node();
      const stale = node();
      expect((await a.ready()).protocol).toBe("ledger");
      await stale.ready();
      const key = `reinsert-${Math.random()}`;
      for (let i = 0; i < 2; i++) await (await a.getLock(key).acquire()).release();
      const holder = await a.getLock(key).acquire(); // grant 3; grants 1 and 2 are collected
      expect(holder.fencingToken).toBe(3n);
      const ledger = ledgerOf(stale);
      await expect
        .poll(async () => ledger.latest(a.backendKey(key)).then(() => countGrants(a, key)), {
          timeout: 5_000,
        })
        .toBe(1);
      // The stale contender still believes grant 1 (released) is the latest one.
      const latest = ledger.latest.bind(ledger);
      ledger.latest = async () => ({
        _id: `${a.backendKey(key)}#1`,
        key: a.backendKey(key),
        seq: 1n,
        owner: "old",
        expiresAt: new Date(0),
        released: true,
      });
      try {
        expect(await stale.getLock(key).tryAcquire()).toBeUndefined();
      } finally {
        ledger.latest = latest;
      }
      expect(holder.lost).toBe(false);
      expect(await node().getLock(key).tryAcquire()).toBeUndefined();
      await holder.extend();
      await holder.release();
    });

    it("a renewal answered after the previous lease's deadline counts as a loss", async () => {
      const a = node();
      const b = node();
      const key = `late-${Math.random()}`;
      const held = await a.getLock(key, { ttl: 2_000, autoExtend: false }).acquire();
      const lease = (held as unknown as { lease: LedgerLease }).lease;
      const ledger = ledgerOf(a);
      const grants = (ledger as unknown as { grants: WeakMap<object, { deadline: number }> })
        .grants;
      grants.get(lease)!.deadline = 0; // as if the answer came too late
      expect(await ledger.extend(lease, 2_000)).toBe(false);
      // The grant was given back, so others need not wait for its expiry.
      const next = await b.getLock(key).tryAcquire();
      expect(next).toBeDefined();
      await next!.release();
    });

    it("a break that read an older grant than the latest appends after the latest", async () => {
      const a = node();
      const breaker = node();
      const key = `break-race-${Math.random()}`;
      await (await a.getLock(key).acquire()).release(); // grant 1
      const held = await a.getLock(key, { ttl: 600 }).acquire(); // grant 2
      expect(held.fencingToken).toBe(2n);
      await breaker.ready();
      const ledger = ledgerOf(breaker);
      // The breaker read the key before grant 2 was made: its append collides with grant 2.
      const latest = ledger.latest.bind(ledger);
      let reads = 0;
      ledger.latest = async (k: string) => {
        reads++;
        if (reads > 1) return latest(k);
        return {
          _id: `${k}#1`,
          key: k,
          seq: 1n,
          owner: "old",
          expiresAt: new Date(0),
          released: true,
        };
      };
      try {
        await breaker.forceRelease(key);
      } finally {
        ledger.latest = latest;
      }
      expect(reads, "read again after the collision").toBe(2);
      expect(await breaker.inspect(key)).toMatchObject({ owner: null, fencingToken: 3n });
      await new Promise((resolve) => held.signal.addEventListener("abort", resolve));
      expect(held.lost).toBe(true);
    });

    it("forceRelease appends a released grant: the holder notices, tokens keep growing", async () => {
      const a = node();
      const b = node();
      const key = `break-${Math.random()}`;
      const held = await a.getLock(key, { ttl: 600 }).acquire();
      await b.forceRelease(key);
      await new Promise((resolve) => held.signal.addEventListener("abort", resolve));
      expect(held.lost).toBe(true);
      const next = await b.getLock(key).tryAcquire();
      expect(next?.fencingToken).toBe(held.fencingToken! + 2n);
      await next!.release();
    });
  },
);

async function countGrants(p: MongoLockProvider, key: string): Promise<number> {
  return p.collection.countDocuments({ key: p.backendKey(key) } as never);
}
