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
 * Lua function `nextFence(fence, clock)`: moves the fencing counter `fence` to
 * `max(previous + 1, clock)` and returns its new value as decimal text (see ACQUIRE).
 */
const NEXT_FENCE = `local function nextFence(fence, clock)
  local previous = redis.call('GET', fence)
  if (tonumber(previous) or 0) < clock then
    local text = string.format('%.0f', clock)
    redis.call('SET', fence, text)
    return text
  end
  redis.call('INCR', fence)
  return redis.call('GET', fence)
end
`;

/**
 * Single server / Cluster acquire. KEYS: lock, fence, queue, queue expiries (see queuePrelude).
 * ARGV: token, ttl (integer ms), waiter id (`""`: none), waiter entry ttl (integer ms).
 *
 * Grants only if the key is free and nobody waits ahead: with a waiter, no live entry older than
 * its own; without, no live entry at all (`tryAcquire()` never jumps the queue). A waiter that is
 * not granted is queued at its first arrival (its place is kept by later refreshes) and its entry
 * renewed to the entry ttl; both queue keys live as long as their longest entry. A grant removes
 * the waiter's entry. A waiter to which a release handed the key (the lock holds its id: see
 * HAND_OVER) is granted it again, as if it were free: the lock takes `token` for ttl ms, and the
 * fencing token of the hand-over is returned.
 *
 * Returns the integer 0 when not granted, else the new fencing token as a bulk string of decimal
 * digits (a bulk string under RESP2 and RESP3 alike).
 *
 * The fence becomes `max(previous + 1, server time in µs)`. Counting from the server clock keeps
 * tokens increasing even when the counter itself is lost: a restart without persistence, or a
 * failover to a replica that missed the last increments (as long as the servers' clocks agree
 * within the time a failover takes). Lua only compares the counter with the clock (both far
 * below 2^53 while the clock wins); past that the counter moves by INCR, which Redis computes
 * exactly on 64-bit integers. The reply is the text the counter was set to when the clock wins
 * (an integer below 2^53, formatted exactly), and is read back with GET after an INCR (never
 * formatted by Lua), so it is exact up to 2^63 − 1. The counter is updated before SET so that,
 * should it fail (overflow), no lock is written.
 */
export const ACQUIRE = script(
  4,
  `${queuePrelude(3, 4)}${NEXT_FENCE}local waiter = ARGV[3]
local taken
if waiter ~= '' then
  local current = redis.call('GET', KEYS[1])
  if current == waiter then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return redis.call('GET', KEYS[2])
  end
  taken = current ~= false
else
  taken = redis.call('EXISTS', KEYS[1]) == 1
end
if taken or (head and head ~= waiter) then
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
local fence = nextFence(KEYS[2], clock)
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return fence`,
);

/**
 * Lua function `handOver(lock, fence, queue, expiry, channel, id, clock)`: gives the free key to
 * the live waiter `id` at the head of its queue. An id `node/wait/ttl` is granted on the spot:
 * its entry leaves the queue, the lock is set to the id itself with the next fencing token (as
 * ACQUIRE does) for `ttl` ms or until the entry would have expired, whichever comes first, and
 * `id .. ' ' .. fence` is published on `channel .. ':' .. node`, which only that waiter's
 * provider subscribes to. So a waiter that died in the queue holds the key no longer than its
 * entry would have blocked it; a live one takes the lease over for its full ttl. Any
 * other id is only told that it heads the queue of a free key (on `channel .. ':' .. node`, or on
 * `channel` for an id without `/`), and attempts as usual. Returns true if it set the lock.
 */
const HAND_OVER = `${NEXT_FENCE}local function handOver(lock, fence, queue, expiry, channel, id, clock)
  local node = string.match(id, '^([^/]+)/')
  local ttl = tonumber(string.match(id, '^[^/]+/[^/]+/(%d+)$'))
  if not node then
    redis.call('PUBLISH', channel, id)
    return false
  end
  if not ttl then
    redis.call('PUBLISH', channel .. ':' .. node, id)
    return false
  end
  local left = tonumber(redis.call('ZSCORE', expiry, id)) - math.floor(clock / 1000)
  redis.call('ZREM', queue, id)
  redis.call('ZREM', expiry, id)
  local issued = nextFence(fence, clock)
  redis.call('SET', lock, id, 'PX', math.max(1, math.min(ttl, left)))
  redis.call('PUBLISH', channel .. ':' .. node, id .. ' ' .. issued)
  return true
end
`;

/**
 * Single server / Cluster owner-checked release. KEYS: lock, fence, queue, queue expiries. ARGV:
 * token, channel. Returns 1 if the lock was held by `token` (handed over to the queue's head, if
 * any: see HAND_OVER, whose SET replaces it; else deleted), else 0.
 */
export const RELEASE_TO_HEAD = script(
  4,
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
${queuePrelude(3, 4)}${HAND_OVER}if not (head and handOver(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[2], head, clock)) then
  redis.call('DEL', KEYS[1])
end
return 1`,
);

/**
 * Removes a waiter's queue entry (its wait ended without a grant). KEYS: lock, fence, queue, queue
 * expiries. ARGV: waiter id, channel. A lock handed over to this waiter meanwhile is released.
 * If the key is then free and the waiter was its head (or held it), hands the key over to the
 * new head (see HAND_OVER), so that it does not wait for its next poll.
 */
export const LEAVE_QUEUE = script(
  4,
  `${queuePrelude(3, 4)}${HAND_OVER}local held = redis.call('GET', KEYS[1]) == ARGV[1]
if held then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if (held or head == ARGV[1]) and redis.call('EXISTS', KEYS[1]) == 0 then
  local after = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  if after then handOver(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[2], after, clock) end
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
