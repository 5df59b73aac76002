import { createHash } from "node:crypto";

/**
 * The 64-bit advisory lock id of a backend key (core's `backendKey(prefix, key)`, which maps the
 * provider prefix and the key injectively): the first eight bytes of the SHA-256 of its UTF-8
 * bytes, read as a big-endian signed integer (the `bigint` that `pg_advisory_lock(bigint)` takes).
 *
 * Two different keys share an id with probability about n² / 2⁶⁵ for n keys in use at once
 * (about 1 in 3.7·10¹⁰ for a million keys). Such keys then contend with each other, and share one
 * fencing counter (tokens stay strictly increasing for each); exclusion is never broken.
 */
export function postgresLockId(key: string): bigint {
  return createHash("sha256").update(key, "utf8").digest().readBigInt64BE(0);
}

/**
 * How `pg_locks` shows a `bigint` advisory lock: `classid` holds the high 32 bits and `objid`
 * the low 32 bits (both as unsigned `oid`), `objsubid` is 1.
 */
export function lockIdParts(id: bigint): { classid: string; objid: string } {
  const unsigned = BigInt.asUintN(64, id);
  return {
    classid: String(unsigned >> 32n),
    objid: String(unsigned & 0xffff_ffffn),
  };
}
