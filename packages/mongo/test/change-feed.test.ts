import type { Collection, Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { ChangeFeed } from "../src/change-feed.js";
import type { LockDocument } from "../src/lock-document.js";

/**
 * A stand-in for a change stream: events are pushed by the test. The first read (the one that
 * establishes the stream) answers at once; an idle read after it waits up to `idleMs` for an
 * event, as a server awaiting changes does (`idleMs(n)` of the n-th read, from 1).
 */
class FakeStream {
  readonly queue: Array<Document | Error> = [];
  closed = false;
  reads = 0;
  constructor(
    readonly pipeline: Document[],
    private readonly idleMs: (read: number) => number = () => 200,
  ) {}
  async tryNext(): Promise<Document | null> {
    const read = this.reads++;
    // An answer comes back through I/O, never within the same turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    const until = performance.now() + (read === 0 ? 0 : this.idleMs(read));
    while (this.queue.length === 0 && !this.closed && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const next = this.queue.shift();
    if (next instanceof Error) throw next;
    return next ?? null;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function fakeCollection(options: { failOpen?: Error; idleMs?: (read: number) => number } = {}) {
  const streams: FakeStream[] = [];
  const collection = {
    watch(pipeline: Document[]) {
      const stream = new FakeStream(pipeline, options.idleMs);
      if (options.failOpen) stream.queue.push(options.failOpen);
      streams.push(stream);
      return stream;
    },
  } as unknown as Collection<LockDocument>;
  return { collection, streams };
}

const event = (id: string, operationType = "update") => ({
  operationType,
  documentKey: { _id: id },
});

describe("ChangeFeed (the change-stream path, with a stand-in stream)", () => {
  it("filters on the server for releases, deletions and replacements only", async () => {
    const { collection, streams } = fakeCollection();
    const feed = new ChangeFeed(collection);
    await feed.open();
    expect(JSON.stringify(streams[0]!.pipeline)).toContain(
      '"updateDescription.updatedFields.owner"',
    );
    expect(JSON.stringify(streams[0]!.pipeline)).toContain('"delete","replace"');
    await feed.close();
  });

  it("wakes the listeners of the key that changed, and only while subscribed", async () => {
    const { collection, streams } = fakeCollection();
    const feed = new ChangeFeed(collection);
    await feed.open();
    expect(feed.active).toBe(true);
    const woken: string[] = [];
    const stopA = feed.subscribe("a", () => woken.push("a"));
    feed.subscribe("b", () => woken.push("b"));
    streams[0]!.queue.push(event("a"));
    await expect.poll(() => woken).toEqual(["a"]);
    stopA();
    streams[0]!.queue.push(event("a"), event("b", "delete"));
    await expect.poll(() => woken).toEqual(["a", "b"]);
    await feed.close();
    expect(feed.active).toBe(false);
    expect(streams[0]!.closed).toBe(true);
  });

  it("keeps a key's other listeners when one of them stops", async () => {
    const { collection, streams } = fakeCollection();
    const feed = new ChangeFeed(collection);
    await feed.open();
    const woken: string[] = [];
    const stopFirst = feed.subscribe("k", () => woken.push("first"));
    feed.subscribe("k", () => woken.push("second"));
    stopFirst();
    streams[0]!.queue.push(event("k"));
    await expect.poll(() => woken).toEqual(["second"]);
    await feed.close();
  });

  it("passes on the queue head a release names, so that only that waiter attempts", async () => {
    const { collection, streams } = fakeCollection();
    const feed = new ChangeFeed(collection);
    await feed.open();
    expect(JSON.stringify(streams[0]!.pipeline)).toContain(
      '"updateDescription.updatedFields.next"',
    );
    const woken: Array<string | undefined> = [];
    feed.subscribe("k", (next) => woken.push(next));
    streams[0]!.queue.push(
      { ...event("k"), updateDescription: { updatedFields: { next: "w1" } } },
      { ...event("k"), updateDescription: { updatedFields: { next: null } } },
      event("k", "delete"),
    );
    await expect.poll(() => woken).toEqual(["w1", undefined, undefined]);
    await feed.close();
  });

  it("reads events that carry the update in place of the key: only releases wake", async () => {
    const { collection, streams } = fakeCollection();
    const feed = new ChangeFeed(collection);
    await feed.open();
    const woken: Array<string | undefined> = [];
    feed.subscribe("k", (next) => woken.push(next));
    const update = (documentKey: Document) => ({ operationType: "update", documentKey });
    streams[0]!.queue.push(
      // A queue entry added, then refreshed, then a grant: none of them frees the key.
      update({ $push: { queue: { id: "w1", expiresAt: new Date() } } }),
      update({ $set: { "queue.$.expiresAt": new Date() } }),
      update({ $set: { owner: "token", expiresAt: new Date() }, $pull: { queue: { id: "w1" } } }),
      // The release, naming the next waiter; it names no key, so every subscriber hears it.
      update({ $set: { owner: null, expiresAt: new Date(), next: "w2" } }),
    );
    await expect.poll(() => woken).toEqual(["w2"]);
    await feed.close();
  });

  it("rejects open() where the server has no change streams", async () => {
    const { collection, streams } = fakeCollection({ failOpen: new Error("no $changeStream") });
    const feed = new ChangeFeed(collection);
    await expect(feed.open()).rejects.toThrow("no $changeStream");
    expect(feed.active).toBe(false);
    expect(streams[0]!.closed).toBe(true);
  });

  it("after a stream failure wakes every waiter (so they poll) and reopens on the next open()", async () => {
    const { collection, streams } = fakeCollection();
    const feed = new ChangeFeed(collection);
    await feed.open();
    let woken = 0;
    feed.subscribe("k", () => woken++);
    streams[0]!.queue.push(new Error("connection reset"));
    await expect.poll(() => woken).toBe(1);
    expect(feed.active).toBe(false);
    await feed.open();
    expect(streams).toHaveLength(2);
    streams[1]!.queue.push(event("k"));
    await expect.poll(() => woken).toBe(2);
    await feed.close();
  });
});

describe("ChangeFeed on a server that does not await idle reads (mongo-java-server)", () => {
  it("gives the stream up after 5 such reads in a row, wakes every waiter and opens no other", async () => {
    const { collection, streams } = fakeCollection({ idleMs: () => 0 });
    let unusable = 0;
    const feed = new ChangeFeed(collection, { onUnusable: () => unusable++ });
    await feed.open();
    let woken = 0;
    feed.subscribe("k", () => woken++);
    await expect.poll(() => feed.active).toBe(false);
    expect(streams[0]!.closed).toBe(true);
    // The establishing read, then the 5 unawaited ones.
    expect(streams[0]!.reads).toBe(6);
    expect(unusable).toBe(1);
    expect(woken, "waiters are told to poll").toBe(1);
    await expect(feed.open()).rejects.toThrow(/awaiting changes/);
    expect(streams).toHaveLength(1);
    await feed.close();
  });

  it("sees it through changes that keep arriving between the unawaited reads", async () => {
    // A busy key: every other read returns a release, as under contention.
    const { collection, streams } = fakeCollection({
      idleMs: (n) => {
        if (n % 2 === 1) streams[0]!.queue.push(event("k"));
        return 0;
      },
    });
    const feed = new ChangeFeed(collection);
    await feed.open();
    const woken: string[] = [];
    feed.subscribe("k", () => woken.push("k"));
    await expect.poll(() => feed.active).toBe(false);
    // Reads 1, 3, 5, ... returned changes; 2, 4, 6, 8, 10 were the unawaited empty ones.
    expect(streams[0]!.reads).toBe(11);
    expect(woken.length, "the changes were delivered meanwhile (and one wake-up to poll)").toBe(6);
    await feed.close();
  });

  it("keeps a stream whose idle reads are awaited now and then", async () => {
    // 4 unawaited reads, then one the server waits on (as short as an awaited read may be).
    const { collection, streams } = fakeCollection({ idleMs: (n) => (n % 5 === 0 ? 520 : 0) });
    let unusable = 0;
    const feed = new ChangeFeed(collection, { onUnusable: () => unusable++ });
    await feed.open();
    await expect.poll(() => streams[0]!.reads, { timeout: 5_000 }).toBeGreaterThan(15);
    expect(feed.active).toBe(true);
    expect(unusable).toBe(0);
    await feed.close();
  });

  it("keeps a required stream, pausing before each read after an unawaited one", async () => {
    const { collection, streams } = fakeCollection({ idleMs: () => 0 });
    let unusable = 0;
    const feed = new ChangeFeed(collection, { required: true, onUnusable: () => unusable++ });
    await feed.open();
    const woken: string[] = [];
    feed.subscribe("k", () => woken.push("k"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(feed.active).toBe(true);
    expect(unusable).toBe(0);
    // 10 ms between reads: about 30 in 300 ms, where an unpaced loop makes thousands.
    expect(streams[0]!.reads, "it keeps reading").toBeGreaterThan(3);
    expect(streams[0]!.reads).toBeLessThan(45);
    streams[0]!.queue.push(event("k"));
    await expect.poll(() => woken).toEqual(["k"]);
    const started = performance.now();
    await feed.close();
    expect(performance.now() - started, "close ends the pause").toBeLessThan(100);
  });
});

describe("ChangeFeed close", () => {
  it("does not wait for a stream that is still being established", async () => {
    let stream: FakeStream | undefined;
    const collection = {
      watch(pipeline: Document[]) {
        stream = new FakeStream(pipeline);
        // The first getMore of a real stream may wait up to maxAwaitTimeMS: never answer here.
        stream.tryNext = () =>
          new Promise((_, reject) => {
            const check = setInterval(() => {
              if (stream!.closed) {
                clearInterval(check);
                reject(new Error("closed"));
              }
            }, 1);
          });
        return stream;
      },
    } as unknown as Collection<LockDocument>;
    const feed = new ChangeFeed(collection);
    const opening = feed.open().catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    await feed.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(stream!.closed).toBe(true);
    expect(await opening).toBeInstanceOf(Error);
    expect(feed.active).toBe(false);
  });

  it("refuses to open once closed, and an unsubscribe may run twice", async () => {
    const { collection, streams } = fakeCollection();
    const feed = new ChangeFeed(collection);
    let calls = 0;
    const stop = feed.subscribe("k", () => {
      calls++;
    });
    stop();
    stop();
    await feed.open();
    streams[0]!.queue.push(event("k"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls, "an unsubscribed listener is not called").toBe(0);
    await feed.close();
    await expect(feed.open()).rejects.toThrow(/closed/);
    expect(streams).toHaveLength(1);
  });
});
