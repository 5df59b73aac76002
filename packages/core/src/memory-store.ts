import { randomUUID } from "node:crypto";
import { now } from "./monotonic.js";
import { startTimer, type Timer } from "./timers.js";

interface Entry {
  token: string;
  expiresAt: number;
  timer: Timer;
}

/**
 * The "server" behind {@link MemoryLockProvider}: lock state for one process. Providers that share
 * a store contend with each other exactly as providers on a shared Redis would. By default every
 * `MemoryLockProvider` in the process shares {@link MemoryLockStore.default}.
 */
export class MemoryLockStore {
  /** The store shared by providers created without an explicit `store`. */
  static readonly default = new MemoryLockStore();

  private readonly locks = new Map<string, Entry>();
  /** Last fencing token per key; never reset, so tokens only grow. */
  private readonly fences = new Map<string, bigint>();
  /**
   * Release listeners per key. A plain map, not an `EventEmitter`: keys are user data, and an
   * emitter gives some names a meaning of their own (emitting `"error"` without a listener
   * throws; `"newListener"` fires on every subscription).
   */
  private readonly listeners = new Map<string, Set<(next?: string) => void>>();
  /** Waiting nodes per key: waiter id → expiry (monotonic ms), in arrival order. */
  private readonly queues = new Map<string, Map<string, number>>();

  /**
   * Grants `key` for `ttl` ms if free or expired and nobody waits ahead: with `waiter`, no live
   * entry older than the waiter's; without, no live entry at all. A waiter that is not granted is
   * queued (or its entry refreshed to `waiter.ttl` ms), keeping its place; a grant removes it.
   */
  tryAcquire(
    key: string,
    ttl: number,
    waiter?: { readonly id: string; readonly ttl: number },
  ): { token: string; fencingToken: bigint } | undefined {
    const head = this.head(key);
    if (this.live(key) || (head !== undefined && head !== waiter?.id)) {
      if (waiter) this.enqueue(key, waiter.id, waiter.ttl);
      return undefined;
    }
    if (waiter) this.dequeue(key, waiter.id);
    const token = randomUUID();
    const fencingToken = (this.fences.get(key) ?? 0n) + 1n;
    this.fences.set(key, fencingToken);
    this.locks.set(key, {
      token,
      expiresAt: now() + ttl,
      timer: this.expiryTimer(key, token, ttl),
    });
    return { token, fencingToken };
  }

  /** Renews the lease of `token` to `ttl` ms from now; false if `token` no longer holds `key`. */
  extend(key: string, token: string, ttl: number): boolean {
    const current = this.live(key);
    if (current?.token !== token) return false;
    current.timer.cancel();
    current.expiresAt = now() + ttl;
    current.timer = this.expiryTimer(key, token, ttl);
    return true;
  }

  /** Releases `key` if `token` holds it. */
  release(key: string, token: string): boolean {
    const current = this.live(key);
    if (current?.token !== token) return false;
    this.remove(key, current);
    return true;
  }

  /** Fault injection: removes whoever holds `key`, as if an operator deleted it. */
  breakLock(key: string): boolean {
    const current = this.locks.get(key);
    if (!current) return false;
    this.remove(key, current);
    return true;
  }

  /** Removes `waiterId`'s queue entry; if it was the head of a free key, wakes the next one. */
  leaveQueue(key: string, waiterId: string): void {
    const wasHead = this.head(key) === waiterId;
    this.dequeue(key, waiterId);
    if (wasHead && !this.live(key)) this.announce(key);
  }

  /** Number of live queue entries of `key` (waiting nodes). */
  queueLength(key: string): number {
    this.head(key);
    return this.queues.get(key)?.size ?? 0;
  }

  /** Whether someone holds `key` now. */
  isLocked(key: string): boolean {
    return this.live(key) !== undefined;
  }

  /** Calls `listener` whenever `key` is released or expires, with the queue head's waiter id. */
  onReleased(key: string, listener: (next?: string) => void): () => void {
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    // A wrapper per subscription, so that subscribing the same function twice needs two stops.
    const entry = (next?: string) => listener(next);
    set.add(entry);
    const own = set;
    return () => {
      own.delete(entry);
      if (own.size === 0 && this.listeners.get(key) === own) this.listeners.delete(key);
    };
  }

  private live(key: string): Entry | undefined {
    const entry = this.locks.get(key);
    if (entry && entry.expiresAt <= now()) {
      this.remove(key, entry);
      return undefined;
    }
    return entry;
  }

  private remove(key: string, entry: Entry): void {
    entry.timer.cancel();
    this.locks.delete(key);
    this.announce(key);
  }

  /** Tells the listeners of `key` that it is free, naming the queue's head. */
  private announce(key: string): void {
    const set = this.listeners.get(key);
    if (!set) return;
    const next = this.head(key);
    for (const listener of [...set]) listener(next);
  }

  /** The oldest live waiter of `key`, after dropping expired entries. */
  private head(key: string): string | undefined {
    const queue = this.queues.get(key);
    if (!queue) return undefined;
    const at = now();
    for (const [id, expiresAt] of queue) {
      if (expiresAt > at) return id;
      queue.delete(id);
    }
    this.queues.delete(key);
    return undefined;
  }

  private enqueue(key: string, id: string, ttl: number): void {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new Map();
      this.queues.set(key, queue);
    }
    // Map.set keeps an existing entry's position: a refresh never loses the waiter's place.
    queue.set(id, now() + ttl);
  }

  private dequeue(key: string, id: string): void {
    const queue = this.queues.get(key);
    if (queue?.delete(id) && queue.size === 0) this.queues.delete(key);
  }

  private expiryTimer(key: string, token: string, ttl: number): Timer {
    return startTimer(
      ttl + 1,
      () => {
        const entry = this.locks.get(key);
        if (entry?.token === token && entry.expiresAt <= now()) this.remove(key, entry);
      },
      true,
    );
  }
}
