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
  private readonly listeners = new Map<string, Set<() => void>>();

  /** Grants `key` for `ttl` ms if free or expired. */
  tryAcquire(key: string, ttl: number): { token: string; fencingToken: bigint } | undefined {
    const current = this.live(key);
    if (current) return undefined;
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

  /** Whether someone holds `key` now. */
  isLocked(key: string): boolean {
    return this.live(key) !== undefined;
  }

  /** Calls `listener` whenever `key` is released or expires. */
  onReleased(key: string, listener: () => void): () => void {
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    // A wrapper per subscription, so that subscribing the same function twice needs two stops.
    const entry = () => listener();
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
    const set = this.listeners.get(key);
    if (set) for (const listener of [...set]) listener();
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
