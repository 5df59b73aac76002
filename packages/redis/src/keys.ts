/**
 * Where a lock lives in Redis. All keys of one lock share one hash tag, so that the lock key and
 * its fence counter land in the same Cluster slot and one Lua script may touch both.
 *
 * Layout, for a backend key `k` (provider prefix already applied):
 *
 * | what | Redis name |
 * |---|---|
 * | lock (value: owner token, expires after the ttl) | `locks:{E(k)}` |
 * | fence counter (never expires) | `locks:{E(k)}:fence` |
 * | release channel (pub/sub) | `locks:{E(k)}:released` |
 * | queue of waiting nodes (ZSET: waiter id by arrival) | `locks:{E(k)}:queue` |
 * | expiry of each queue entry (ZSET: waiter id by expiry) | `locks:{E(k)}:queue:expiry` |
 *
 * `E` escapes `%` as `%25` and `}` as `%7D` and leaves everything else as is. Redis hashes the
 * text between the first `{` and the first `}` after it; `E(k)` contains no `}`, so the whole
 * escaped key is the hash tag, whatever braces the user's key contains, and `E` is injective.
 */
export interface RedisLockKeys {
  /** The lock itself: a string holding the owner token, with a PX expiry. */
  readonly lock: string;
  /** The fencing counter, incremented by each grant (single server and Cluster only). */
  readonly fence: string;
  /** Pub/sub channel on which a release is announced. */
  readonly channel: string;
  /** Waiting nodes in arrival order (single server and Cluster only). */
  readonly queue: string;
  /** When each waiting node's entry expires unless refreshed. */
  readonly queueExpiry: string;
}

/** Escapes `key` so that it contains no `}` (see {@link RedisLockKeys}). */
export function escapeHashTag(key: string): string {
  return key.replace(/[%}]/g, (c) => (c === "%" ? "%25" : "%7D"));
}

/**
 * The Redis names used for the lock whose backend key is `key` (the provider prefix already
 * applied, i.e. `prefix + key`).
 */
export function redisLockKeys(key: string): RedisLockKeys {
  const base = `locks:{${escapeHashTag(key)}}`;
  return {
    lock: base,
    fence: `${base}:fence`,
    channel: `${base}:released`,
    queue: `${base}:queue`,
    queueExpiry: `${base}:queue:expiry`,
  };
}
