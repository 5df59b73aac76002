import { afterEach, describe, expect, it } from "vitest";
import {
  createMongoLockProvider,
  type LockDocument,
  type MongoLockProvider,
  type MongoLockProviderOptions,
} from "../src/index.js";
import { onePerServer, type Target, targetsOrSkip, testDatabase } from "./server.js";

const targets = await targetsOrSkip();
const perServer = onePerServer(targets);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The document protocol one operation at a time, on every server. On MongoDB and
 * mongo-java-server this is the default path; on FerretDB it is refused for production
 * (concurrent acquires are not atomic there) and enabled here only to exercise its code
 * sequentially, where FerretDB behaves like MongoDB.
 */
describe.skipIf(perServer.length === 0).each(perServer)(
  "document protocol on $name, sequentially",
  (target: Target) => {
    const { client, database } = testDatabase(target, "document");
    let open: MongoLockProvider[] = [];
    const node = (options: Partial<MongoLockProviderOptions> = {}) => {
      const p = createMongoLockProvider({ client, database, protocol: "document", ...options });
      p.backend.allowDocumentOnFerretDB = true;
      open.push(p);
      return p;
    };
    const raw = (p: MongoLockProvider, key: string) =>
      p.collection.findOne({ _id: p.backendKey(key) }, { useBigInt64: true });
    afterEach(async () => {
      await Promise.all(open.map((p) => p.close()));
      open = [];
    });

    it("stores one document per key and keeps its counter across release", async () => {
      const a = node();
      expect((await a.ready()).protocol).toBe("document");
      const key = `doc-${Math.random()}`;
      const h1 = await a.getLock(key).acquire();
      const held = (await raw(a, key)) as LockDocument;
      expect(held).toMatchObject({ _id: a.backendKey(key), fence: 1n });
      expect(held.owner).toBeTypeOf("string");
      expect(held.expiresAt).toBeInstanceOf(Date);
      expect(held.epoch).toBeInstanceOf(Date);
      await h1.release();
      const released = (await raw(a, key)) as LockDocument;
      expect(released.owner).toBeNull();
      expect(released.fence).toBe(1n);
      const h2 = await a.getLock(key).acquire();
      expect((await raw(a, key))?.fence).toBe(2n);
      expect(h2.fencingToken!).toBeGreaterThan(h1.fencingToken!);
      await h2.release();
    });

    it("decides expiry in the acquire's filter and updates the same document", async () => {
      const a = node();
      const b = node();
      const key = `doc-expiry-${Math.random()}`;
      const h1 = await a.getLock(key, { ttl: 400, autoExtend: false }).acquire();
      const { expiresAt } = (await raw(a, key)) as LockDocument;
      expect(await b.getLock(key).tryAcquire()).toBeUndefined();
      const h2 = await b.getLock(key).acquire({ timeout: 5_000 });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
      const after = (await raw(a, key)) as LockDocument;
      expect(after.fence).toBe(2n);
      expect(await b.collection.countDocuments({ _id: b.backendKey(key) })).toBe(1);
      expect(h2.fencingToken!).toBeGreaterThan(h1.fencingToken!);
      await h2.release();
    });

    it("a stale owner token neither renews nor releases the new holder's lock", async () => {
      const a = node();
      const b = node();
      const key = `doc-stale-${Math.random()}`;
      const stale = await a.getLock(key, { ttl: 300, autoExtend: false }).acquire();
      const fresh = await b.getLock(key).acquire({ timeout: 5_000 });
      const lease = (stale as unknown as { lease: Parameters<typeof a.backend.extend>[0] }).lease;
      expect(await a.backend.extend(lease, 60_000)).toBe("lost");
      expect(await a.backend.release(lease)).toBe(false);
      const freshLease = (fresh as unknown as { lease: { token: string } }).lease;
      expect((await raw(a, key))?.owner).toBe(freshLease.token);
      await fresh.release();
    });

    it("keeps tokens increasing after the document was garbage-collected", async () => {
      const a = node();
      const key = `doc-gc-${Math.random()}`;
      const h1 = await a.getLock(key).acquire();
      await h1.release();
      await delay(5);
      // What the TTL monitor does once the document has been idle for `expireAfter`.
      await a.collection.deleteOne({ _id: a.backendKey(key) });
      const h2 = await a.getLock(key).acquire();
      expect((await raw(a, key))?.fence).toBe(1n);
      expect(h2.fencingToken!).toBeGreaterThan(h1.fencingToken!);
      await h2.release();
    });

    it("forceRelease frees the key and keeps the counter; the holder finds out", async () => {
      const a = node();
      const b = node();
      const key = `doc-break-${Math.random()}`;
      const held = await a.getLock(key, { ttl: 600 }).acquire();
      await b.forceRelease(key);
      await new Promise((resolve) => held.signal.addEventListener("abort", resolve));
      const next = await b.getLock(key).tryAcquire();
      expect(next!.fencingToken!).toBeGreaterThan(held.fencingToken!);
      expect((await raw(b, key))?.fence).toBe(2n);
      await next!.release();
    });
  },
);
