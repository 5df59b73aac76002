import { afterEach, describe, expect, it } from "vitest";
import {
  createMongoLockProvider,
  type LockDocument,
  type MongoLockProvider,
  type MongoLockProviderOptions,
} from "../src/index.js";
import {
  onePerServer,
  skipWithoutServers,
  type Target,
  targetsUnderTest,
  testDatabase,
} from "./server.js";

const { targets, skipped } = await targetsUnderTest();
skipWithoutServers(targets, skipped);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every protocol each server runs for real: the ledger everywhere, the document protocol where it is atomic. */
const cases = onePerServer(targets).flatMap((target) => [
  ...(target.server.flavor === "ferretdb" ? [] : [{ target, protocol: "document" as const }]),
  { target, protocol: "ledger" as const },
]);

/** Entry ttl (ms) of the waiters these tests queue by hand. */
const ENTRY_TTL = 600;

/**
 * The server-side queue of waiting nodes, below core: entries are queued, refreshed, removed and
 * lapse as the backend contract says, on every protocol and server of the run.
 */
describe.skipIf(cases.length === 0).each(cases)(
  "queue of waiting nodes, $protocol protocol on $target.name",
  ({ target, protocol }: { target: Target; protocol: "document" | "ledger" }) => {
    const { client, database } = testDatabase(target, `queue_${protocol}`);
    let open: MongoLockProvider[] = [];
    const node = (options: Partial<MongoLockProviderOptions> = {}) => {
      const p = createMongoLockProvider({ client, database, protocol, ...options });
      open.push(p);
      return p;
    };
    afterEach(async () => {
      await Promise.all(open.map((p) => p.close()));
      open = [];
    });
    const newKey = (label: string) => `${label}-${Math.random().toString(36).slice(2)}`;

    it("reports cross-node fairness", async () => {
      const p = node();
      await p.ready();
      expect(p.capabilities.fairness).toBe(true);
    });

    it('with fairness "none" waiters race: they never queue, and yield to queued "fifo" waiters', async () => {
      const racing = node({ fairness: "none" });
      await racing.ready();
      expect(racing.capabilities.fairness).toBe(false);
      const holder = node();
      const fifo = node();
      const key = newKey("racing");
      const held = await holder.getLock(key).acquire();
      // A racing waiter's attempts carry no queue entry.
      const backend = racing.backend;
      const attempt = backend.tryAcquire.bind(backend);
      const entries: unknown[] = [];
      backend.tryAcquire = (k, ttl, waiter) => {
        entries.push(waiter);
        return attempt(k, ttl, waiter);
      };
      const racer = racing.getLock(key).acquire({ timeout: 200 });
      await expect(racer).rejects.toThrow();
      expect(entries.length).toBeGreaterThan(1);
      expect(entries.every((entry) => entry === undefined)).toBe(true);
      await held.release();
      const free = await holder.getLock(key).tryAcquire();
      expect(free, "the racing waiter left no entry").toBeDefined();
      // A queued "fifo" waiter is served before a racing one that asks later.
      const fifoWait = fifo.getLock(key).acquire({ timeout: 10_000 });
      await delay(200); // fifo's entry is queued
      const raceWait = racing.getLock(key).acquire({ timeout: 10_000 });
      const order: string[] = [];
      const fifoDone = fifoWait.then(async (h) => {
        order.push("fifo");
        await delay(50);
        await h.release();
      });
      const raceDone = raceWait.then(async (h) => {
        order.push("none");
        await h.release();
      });
      await free!.release();
      await Promise.all([fifoDone, raceDone]);
      expect(order).toEqual(["fifo", "none"]);
    });

    it("a queued waiter keeps tryAcquire() out until its entry lapses (within its ttl)", async () => {
      const holder = node();
      const queued = node();
      const other = node();
      const key = newKey("lapse");
      const held = await holder.getLock(key).acquire();
      const ghost = { id: `ghost-${key}`, ttl: ENTRY_TTL };
      // One miss queues the waiter; it is never refreshed again, like a node that died.
      expect(await queued.backend.tryAcquire(queued.backendKey(key), 5_000, ghost)).toBeUndefined();
      const queuedAt = performance.now();
      await held.release();
      expect(await other.getLock(key).tryAcquire()).toBeUndefined();
      let handle = await other.getLock(key).tryAcquire();
      while (!handle) {
        await delay(25);
        handle = await other.getLock(key).tryAcquire();
      }
      const blockedFor = performance.now() - queuedAt;
      await handle.release();
      // At least the entry's ttl of server time; at most that plus the clock's uncertainty and
      // one polling step of this loop (generous: the machine may be loaded).
      expect(blockedFor).toBeGreaterThanOrEqual(ENTRY_TTL - 50);
      expect(blockedFor).toBeLessThan(ENTRY_TTL + 1_000);
    });

    it("serves queued waiters in arrival order, whatever the order of their attempts", async () => {
      const holder = node();
      const waiters = [node(), node(), node()];
      const key = newKey("order");
      const held = await holder.getLock(key).acquire();
      const entries = waiters.map((_, i) => ({ id: `w${i}-${key}`, ttl: 10_000 }));
      for (const [i, w] of waiters.entries()) {
        expect(await w.backend.tryAcquire(w.backendKey(key), 5_000, entries[i])).toBeUndefined();
      }
      await held.release();
      // The last arrival and the second try first: both are refused while w0 is live and ahead.
      expect(
        await waiters[2]!.backend.tryAcquire(waiters[2]!.backendKey(key), 5_000, entries[2]),
      ).toBeUndefined();
      expect(
        await waiters[1]!.backend.tryAcquire(waiters[1]!.backendKey(key), 5_000, entries[1]),
      ).toBeUndefined();
      for (const [i, w] of waiters.entries()) {
        const lease = await w.backend.tryAcquire(w.backendKey(key), 5_000, entries[i]);
        expect(lease, `waiter ${i} is the head now`).toBeDefined();
        expect(await w.backend.release(lease!)).toBe(true);
      }
      // Every grant removed its entry: the key is free for anyone.
      const free = await holder.getLock(key).tryAcquire();
      expect(free).toBeDefined();
      await free!.release();
    });

    it("leaveQueue removes the entry at once, also when it races the attempt that queues it", async () => {
      const holder = node();
      const queued = node();
      const other = node();
      const key = newKey("leave");
      const bk = queued.backendKey(key);
      const held = await holder.getLock(key).acquire();
      const first = { id: `a-${key}`, ttl: 10_000 };
      expect(await queued.backend.tryAcquire(bk, 5_000, first)).toBeUndefined();
      await queued.backend.leaveQueue(bk, first.id);
      // The leave is issued while the attempt that queues the waiter is still in flight.
      const second = { id: `b-${key}`, ttl: 10_000 };
      const attempt = queued.backend.tryAcquire(bk, 5_000, second);
      await queued.backend.leaveQueue(bk, second.id);
      expect(await attempt).toBeUndefined();
      await held.release();
      const handle = await other.getLock(key).tryAcquire();
      expect(handle, "no entry left behind").toBeDefined();
      await handle!.release();
    });

    it("without release events, each waiter in turn is granted within a short poll of the release", async () => {
      // Core attempts only every third of the entry's ttl (2 s here) while the provider follows
      // the queue: a hand-off within 600 ms shows the provider's own reads woke the new head,
      // including the second waiter, which was not the head when it last attempted.
      const options = { changeStream: false, wait: { queueEntryTtl: 6_000 } } as const;
      const holder = node(options);
      const [a, b] = [node(options), node(options)];
      const key = newKey("handoff");
      const held = await holder.getLock(key).acquire();
      const waitA = a.getLock(key).acquire();
      await delay(300); // a's entry is first
      const waitB = b.getLock(key).acquire();
      await delay(300);
      let releasedAt = performance.now();
      await held.release();
      const handleA = await waitA;
      expect(performance.now() - releasedAt).toBeLessThan(600);
      await delay(50);
      releasedAt = performance.now();
      await handleA.release();
      const handleB = await waitB;
      expect(performance.now() - releasedAt).toBeLessThan(600);
      await handleB.release();
    });

    // The ledger keeps its queue in entry documents (tested above); this layout is the document protocol's.
    if (protocol === "document") {
      it("keeps the queue in the lock document; a release names the next waiter", async () => {
        const holder = node();
        const queued = node();
        const key = newKey("next");
        const bk = queued.backendKey(key);
        const held = await holder.getLock(key).acquire();
        const [w1, w2] = [1, 2].map((i) => ({ id: `w${i}-${key}`, ttl: 10_000 }));
        await queued.backend.tryAcquire(bk, 5_000, w1);
        await queued.backend.tryAcquire(bk, 5_000, w2);
        const raw = () => holder.collection.findOne({ _id: bk }) as Promise<LockDocument | null>;
        expect((await raw())?.queue?.map((e) => e.id)).toEqual([w1!.id, w2!.id]);
        await held.release();
        const lease = await queued.backend.tryAcquire(bk, 5_000, w1);
        expect(lease).toBeDefined();
        expect((await raw())?.queue?.map((e) => e.id)).toEqual([w2!.id]);
        await queued.backend.release(lease!);
        expect((await raw())?.next).toBe(w2!.id);
        await queued.backend.leaveQueue(bk, w2!.id);
        expect((await raw())?.queue).toEqual([]);
      });
    }
  },
);
