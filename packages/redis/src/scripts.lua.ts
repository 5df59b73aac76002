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
 * Single server / Cluster acquire. KEYS: lock, fence. ARGV: token, ttl (integer ms).
 *
 * Returns the integer 0 when the lock is held by someone else, else the new fencing token as a
 * bulk string of decimal digits (a bulk string under RESP2 and RESP3 alike).
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
  2,
  `if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local clock = tonumber(time[1]) * 1000000 + tonumber(time[2])
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
