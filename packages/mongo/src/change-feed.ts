import type { ChangeStream, Collection, Db, Document } from "mongodb";
import type { LockDocument } from "./lock-document.js";

/** How long one idle `getMore` of the change stream waits on the server, in milliseconds. */
const MAX_AWAIT_MS = 1_000;

/**
 * An empty read answered sooner than this (ms) was not awaited by the server. A server that
 * waits for changes answers an idle read after {@link MAX_AWAIT_MS}; one that does not answers
 * as fast as it reads, which on a large history may take well over 100 ms.
 */
const UNAWAITED_MS = MAX_AWAIT_MS / 2;

/**
 * After this many unawaited empty reads with no awaited one between them (reads that return
 * changes do not count either way), the server does not wait for changes
 * (mongo-java-server): the stream would be a busy loop of reads, each of which that server
 * answers by scanning every change it ever recorded. Few, since every one costs such a scan; not
 * one, since a stream the driver resumed (after a network error) answers its first read at once.
 */
const UNAWAITED_LIMIT = 5;

/** Where the stream is required anyway: the pause (ms) before a read after an unawaited empty one. */
const UNAWAITED_PACE_MS = 10;

/** How the feed treats a server that answers idle reads at once. */
export interface ChangeFeedOptions {
  /**
   * `true` (the `changeStream: true` option): keep the stream, pausing
   * {@link UNAWAITED_PACE_MS} before each read that follows an unawaited empty one. `false`:
   * close it for good (waiters poll) and call `onUnusable`.
   */
  readonly required?: boolean;
  /** Called once when the feed gives up a stream the server does not await. */
  readonly onUnusable?: () => void;
}

/**
 * Opens and at once closes a change stream on `collection`: resolves when the server has change
 * streams there (a replica set or sharded cluster, or a server with an oplog), rejects with the
 * server's refusal otherwise (standalone `mongod`: 40573; FerretDB 1.x: 238).
 */
export async function probeChangeStreams(db: Db, collection: string): Promise<void> {
  // useBigInt64: the cursor id goes back to killCursors as the Int64 it is (mongo-java-server
  // rejects it as an Int32).
  const reply = await db.command(
    { aggregate: collection, pipeline: [{ $changeStream: {} }], cursor: {} },
    { useBigInt64: true },
  );
  const id: unknown = (reply.cursor as { id?: unknown } | undefined)?.id;
  if (typeof id === "bigint" && id !== 0n) {
    await db.command({ killCursors: collection, cursors: [id] }).catch(() => {});
  }
}

/**
 * One change stream per provider on the lock collection, fanned out to waiters by key. It reports
 * releases (owner cleared), deletions and replacements; renewals are filtered out on the server
 * where it describes updates. A stream that fails is dropped and opened again on the next
 * subscription; waiters keep polling meanwhile, so a lost notification only delays a wake-up.
 *
 * The key comes from the event's `documentKey`, which not every server fills in correctly
 * (mongo-java-server puts the update there): an event that names no key wakes every waiter of
 * the provider, since a spurious wake-up costs one attempt and a missed one a polling interval.
 * Such an event carries the update itself: only one that clears the owner counts as a release (the
 * queue's refreshes would otherwise wake every waiter on every attempt of every other one).
 *
 * A release names `next`, the waiter at the head of the key's queue as the releaser saw it; the
 * listeners get it so that only that node attempts.
 *
 * A server that answers an idle read at once instead of waiting for a change (mongo-java-server
 * ignores `maxAwaitTimeMS`) would make the stream a busy loop: unless the stream is required,
 * the feed then closes it for good, and waiters poll (see {@link ChangeFeedOptions}).
 */
export class ChangeFeed {
  private readonly listeners = new Map<string, Set<Listener>>();
  private stream: ChangeStream<LockDocument> | undefined;
  /** The stream being established (its first `getMore` may wait up to {@link MAX_AWAIT_MS}). */
  private starting: ChangeStream<LockDocument> | undefined;
  private opening: Promise<void> | undefined;
  private closed = false;
  /** Set when the server was found not to await reads: the feed opens no stream again. */
  private unusable: Error | undefined;
  /** Ends the pause between two paced reads (on close). */
  private wakePace: (() => void) | undefined;

  constructor(
    private readonly collection: Collection<LockDocument>,
    private readonly options: ChangeFeedOptions = {},
  ) {}

  /** True while a stream is open and delivering events. */
  get active(): boolean {
    return this.stream !== undefined && !this.closed;
  }

  /**
   * Opens the stream (once) and resolves when the server has established it, so that every
   * change after this resolves is delivered. Rejects when the server has no change streams.
   */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the change feed is closed"));
    if (this.unusable) return Promise.reject(this.unusable);
    if (this.stream) return Promise.resolve();
    this.opening ??= this.start().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Calls `listener` on every release of `key` until the returned function is called. */
  subscribe(key: string, listener: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(key);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(key);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakePace?.();
    const stream = this.stream;
    this.stream = undefined;
    // Do not wait for a stream that is still being established: close it under its feet.
    await this.starting?.close().catch(() => {});
    await this.opening?.catch(() => {});
    await stream?.close().catch(() => {});
  }

  private async start(): Promise<void> {
    const pipeline: Document[] = [
      {
        $match: {
          $or: [
            { operationType: { $in: ["delete", "replace"] } },
            { operationType: "update", "updateDescription.updatedFields.owner": { $type: "null" } },
            { operationType: "update", "updateDescription.removedFields": "owner" },
            // Servers that do not describe updates: any update may be a release.
            { operationType: "update", updateDescription: { $exists: false } },
          ],
        },
      },
      { $project: { operationType: 1, documentKey: 1, "updateDescription.updatedFields.next": 1 } },
    ];
    const stream = this.collection.watch<LockDocument>(pipeline, { maxAwaitTimeMS: MAX_AWAIT_MS });
    // The first tryNext runs the aggregate that establishes the stream (or fails on servers
    // without change streams); events after it are delivered.
    let first: Document | null;
    this.starting = stream;
    try {
      first = await stream.tryNext();
    } catch (error) {
      await stream.close().catch(() => {});
      throw error;
    } finally {
      this.starting = undefined;
    }
    if (this.closed) {
      await stream.close().catch(() => {});
      return;
    }
    this.stream = stream;
    if (first) this.dispatch(first);
    void this.pump(stream);
  }

  private async pump(stream: ChangeStream<LockDocument>): Promise<void> {
    let unawaited = 0;
    try {
      while (!this.closed && this.stream === stream) {
        const asked = performance.now();
        const change = await stream.tryNext();
        if (change) {
          // Says nothing of whether the server awaits: it answers as soon as there is a change.
          this.dispatch(change);
          continue;
        }
        if (performance.now() - asked >= UNAWAITED_MS) {
          unawaited = 0;
          continue;
        }
        unawaited += 1;
        if (this.options.required) {
          await this.pace();
        } else if (unawaited >= UNAWAITED_LIMIT) {
          this.giveUp(stream);
          return;
        }
      }
    } catch {
      // Non-resumable failure (the driver resumes the rest itself): wake everyone so they poll
      // at once, and let the next subscription open a new stream.
      if (this.stream === stream) this.stream = undefined;
      await stream.close().catch(() => {});
      this.wakeAll();
    }
  }

  /** Waits {@link UNAWAITED_PACE_MS}, or less if the feed closes meanwhile. */
  private pace(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, UNAWAITED_PACE_MS);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakePace = done;
    });
  }

  /** Closes a stream the server does not await, for good, and lets waiters poll at once. */
  private giveUp(stream: ChangeStream<LockDocument>): void {
    this.unusable = new Error(
      "the server answers idle change-stream reads at once instead of awaiting changes: waiters poll",
    );
    this.stream = undefined;
    void stream.close().catch(() => {});
    this.options.onUnusable?.();
    this.wakeAll();
  }

  /** Calls every listener of every key (a copy of each set: a listener may unsubscribe). */
  private wakeAll(next?: string): void {
    for (const set of [...this.listeners.values()]) for (const listener of [...set]) listener(next);
  }

  private dispatch(change: Document): void {
    const update = updateIn(change);
    if (update && !releases(update)) return;
    const next = nextIn(change, update);
    const id = keyOf(change);
    if (id === undefined) {
      this.wakeAll(next);
      return;
    }
    const set = this.listeners.get(id);
    if (set) for (const listener of [...set]) listener(next);
  }
}

/** A subscriber of the feed; `next` names the waiter the release should wake, when known. */
type Listener = (next?: string) => void;

/** The update operators an event carries in place of its `documentKey` (mongo-java-server). */
function updateIn(change: Document): Document | undefined {
  const key: unknown = change.documentKey;
  if (typeof key !== "object" || key === null) return undefined;
  return Object.keys(key).some((field) => field.startsWith("$")) ? (key as Document) : undefined;
}

/** Whether an update (as operators) clears the owner: a release, not a grant or queue change. */
function releases(update: Document): boolean {
  const set: unknown = update.$set;
  const unset: unknown = update.$unset;
  return (
    (typeof set === "object" && set !== null && "owner" in set && set.owner === null) ||
    (typeof unset === "object" && unset !== null && "owner" in unset)
  );
}

/** The queue head a release names, from the event's description or from the update itself. */
function nextIn(change: Document, update: Document | undefined): string | undefined {
  const described: unknown = (change.updateDescription as Document | undefined)?.updatedFields
    ?.next;
  const next: unknown = described ?? (update?.$set as Document | undefined)?.next;
  return typeof next === "string" ? next : undefined;
}

/** The lock key a change event names, if it names one. */
function keyOf(change: Document): string | undefined {
  const id: unknown = (change.documentKey as { _id?: unknown } | null | undefined)?._id;
  return typeof id === "string" ? id : undefined;
}
