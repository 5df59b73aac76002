import { createHash } from "node:crypto";

/** A Lua script and its SHA-1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
  readonly numberOfKeys: number;
}

function script(numberOfKeys: number, lua: string): LuaScript {
  return { lua, numberOfKeys, sha: createHash("sha1").update(lua).digest("hex") };
}

/**
 * Start of every script that reads the queue of waiting nodes: `KEYS[queue]` (ZSET: waiter id by
 * arrival, server time in µs) and `KEYS[expiry]` (ZSET: waiter id by entry expiry, server ms).
 * Drops expired entries and sets `clock` (µs), `nowMs` and `head` (the oldest live waiter, or nil).
 * Writes after TIME need effects replication, the default from Redis 5 on.
 */
function queuePrelude(queue: number, expiry: number): string {
  return `if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local clock = tonumber(time[1]) * 1000000 + tonumber(time[2])
local nowMs = math.floor(clock / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[${expiry}], '-inf', nowMs)
if #dead > 0 then
  for _, id in ipairs(dead) do redis.call('ZREM', KEYS[${queue}], id) end
  redis.call('ZREMRANGEBYSCORE', KEYS[${expiry}], '-inf', nowMs)
end
local head = redis.call('ZRANGE', KEYS[${queue}], 0, 0)[1]
`;
}

/**
 * Single server / Cluster acquire. KEYS: lock, fence, queue, queue expiries (see queuePrelude).
 * ARGV: token, ttl (integer ms), waiter id (`""`: none), waiter entry ttl (integer ms).
 *
 * Grants only if the key is free and nobody waits ahead: with a waiter, no live entry older than
 * its own; without, no live entry at all (`tryAcquire()` never jumps the queue). A waiter that is
 * not granted is queued at its first arrival (its place is kept by later refreshes) and its entry
 * renewed to the entry ttl; both queue keys live as long as their longest entry. A grant removes
 * the waiter's entry.
 *
 * Returns the integer 0 when not granted, else the new fencing token as a bulk string of decimal
 * digits (a bulk string under RESP2 and RESP3 alike).
 *
 * The fence becomes `max(previous + 1, server time in µs)`. Counting from the server clock keeps
 * tokens increasing even when the counter itself is lost: a restart without persistence, or a
 * failover to a replica that missed the last increments (as long as the servers' clocks agree
 * within the time a failover takes). Lua only compares the counter with the clock (both far
 * below 2^53 while the clock wins); past that the counter moves by INCR, which Redis computes
 * exactly on 64-bit integers. The reply is read
 * back with GET, never formatted by Lua, so it is exact up to 2^63 − 1. The counter is updated
 * before SET so that, should it fail (overflow), no lock is written.
 */
export const ACQUIRE = script(
  4,
  `${queuePrelude(3, 4)}local waiter = ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 1 or (head and head ~= waiter) then
  if waiter ~= '' then
    local entryTtl = tonumber(ARGV[4])
    redis.call('ZADD', KEYS[3], 'NX', clock, waiter)
    redis.call('ZADD', KEYS[4], nowMs + entryTtl, waiter)
    if redis.call('PTTL', KEYS[3]) < entryTtl then
      redis.call('PEXPIRE', KEYS[3], entryTtl)
      redis.call('PEXPIRE', KEYS[4], entryTtl)
    end
  end
  return 0
end
if head then
  redis.call('ZREM', KEYS[3], waiter)
  redis.call('ZREM', KEYS[4], waiter)
end
local previous = redis.call('GET', KEYS[2])
if (tonumber(previous) or 0) < clock then
  redis.call('SET', KEYS[2], string.format('%.0f', clock))
else
  redis.call('INCR', KEYS[2])
end
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return redis.call('GET', KEYS[2])`,
);

/**
 * Lua function `notify(channel, id)`: tells the waiter `id` that it heads the queue of a free key.
 * A waiter id `node/wait` is announced on `channel .. ':' .. node`, which only that waiter's provider
 * subscribes to, so a release wakes one node instead of every subscriber of the key. An id without
 * `/` goes to `channel` itself.
 */
const NOTIFY = `local function notify(channel, id)
  local node = string.match(id, '^([^/]+)/')
  if node then redis.call('PUBLISH', channel .. ':' .. node, id)
  else redis.call('PUBLISH', channel, id) end
end
`;

/**
 * Single server / Cluster owner-checked release. KEYS: lock, queue, queue expiries. ARGV: token,
 * channel. Returns 1 if the lock was held by `token` (deleted, and the queue's head, if any,
 * notified: see NOTIFY), else 0.
 */
export const RELEASE_TO_HEAD = script(
  3,
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
${queuePrelude(2, 3)}${NOTIFY}redis.call('DEL', KEYS[1])
if head then notify(ARGV[2], head) end
return 1`,
);

/**
 * Removes a waiter's queue entry (its wait ended without a grant). KEYS: lock, queue, queue
 * expiries. ARGV: waiter id, channel. If the waiter was the head of a free key, notifies the new
 * head (see NOTIFY) so that it does not wait for its next poll.
 */
export const LEAVE_QUEUE = script(
  3,
  `${queuePrelude(2, 3)}${NOTIFY}redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if head == ARGV[1] and redis.call('EXISTS', KEYS[1]) == 0 then
  local after = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if after then notify(ARGV[2], after) end
end
return 0`,
);

/**
 * Owner-checked release. KEYS: lock. ARGV: token, channel.
 * Returns 1 if the lock was held by `token` (deleted, and the release announced), else 0.
 */
export const RELEASE = script(
  1,
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], '1')
  return 1
end
return 0`,
);

/**
 * Owner-checked extend. KEYS: lock. ARGV: token, ttl (integer ms).
 * Returns 1 if the lock is held by `token` (expiry reset to ttl), 2 if no one holds the key
 * (Redlock re-establishes it there while a quorum still holds), else 0 (someone else holds it).
 */
export const EXTEND = script(
  1,
  `local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not current then
  return 2
end
return 0`,
);
