import { MAX_KEY_BYTES } from "./validation.js";

/**
 * The backend key of `key` on a provider with `prefix`: the UTF-8 byte length of the prefix in
 * decimal, a colon, the prefix, then the key, e.g. `("app:", "feeds")` → `"4:app:feeds"` and
 * `("", "feeds")` → `"0:feeds"`.
 *
 * The mapping is injective: the length says where the prefix ends, so prefix `"a"` + key `"bc"`
 * (`"1:abc"`) and prefix `"ab"` + key `"c"` (`"2:abc"`) are different locks, and no key of one
 * prefix can name a lock of another. Backends store this string (or a hash of it) and never see
 * the prefix and key separately. Fault hooks and tools that look a lock up on the server must
 * build its name with this function, never by concatenation.
 */
export function backendKey(prefix: string, key: string): string {
  return `${Buffer.byteLength(prefix, "utf8")}:${prefix}${key}`;
}

/** Longest accepted provider prefix, in bytes of UTF-8. */
const MAX_PREFIX_BYTES = MAX_KEY_BYTES;

/** Validates the provider's `prefix` option: a well-formed string (may be empty) of at most 1 KiB. */
export function checkPrefix(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value !== "string") throw new TypeError("prefix must be a string");
  if (!value.isWellFormed()) throw new TypeError("prefix contains a lone UTF-16 surrogate");
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_PREFIX_BYTES) {
    throw new RangeError(`prefix is ${bytes} bytes of UTF-8; the limit is ${MAX_PREFIX_BYTES}`);
  }
  return value;
}
