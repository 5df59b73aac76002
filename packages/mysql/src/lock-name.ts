import { createHash } from "node:crypto";

/** Marks the server-side lock names made by `@locks/mysql` (visible in `performance_schema`). */
export const LOCK_NAME_PREFIX = "locks:";

const BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** Names of recently used keys: a hot key is hashed once, not on every acquire and release. */
const recent = new Map<string, string>();
/** Bound of {@link recent}; it is emptied when full, so it never holds more. */
const RECENT_LIMIT = 256;

/**
 * The `GET_LOCK` name of a key (provider prefix included): `locks:` + lowercase base32 of the
 * SHA-256 of the key's UTF-8 bytes, 58 characters in all.
 *
 * MySQL 8 limits names to 64 characters and compares them case-insensitively; MariaDB accepts
 * longer names and compares them case-sensitively. Hashing gives both servers the same short,
 * single-case names, so keys that differ only in case, or share a long common beginning, never
 * meet on the server.
 */
export function mysqlLockName(key: string): string {
  let name = recent.get(key);
  if (name === undefined) {
    name = LOCK_NAME_PREFIX + base32(createHash("sha256").update(key, "utf8").digest());
    if (recent.size >= RECENT_LIMIT) recent.clear();
    recent.set(key, name);
  }
  return name;
}

function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
