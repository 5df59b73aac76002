import { InvalidLockKeyError } from "./errors.js";

/** Longest accepted key, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** Throws `InvalidLockKeyError` unless `key` is a non-empty, well-formed string of at most 1 KiB UTF-8. */
export function assertValidKey(key: unknown, what = "key"): asserts key is string {
  if (typeof key !== "string") {
    throw new InvalidLockKeyError(`Lock ${what} must be a string, got ${describe(key)}`);
  }
  if (key.length === 0) throw new InvalidLockKeyError(`Lock ${what} must not be empty`, key);
  if (!key.isWellFormed()) {
    throw new InvalidLockKeyError(`Lock ${what} contains a lone UTF-16 surrogate`, key);
  }
  const bytes = Buffer.byteLength(key, "utf8");
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidLockKeyError(
      `Lock ${what} is ${bytes} bytes of UTF-8; the limit is ${MAX_KEY_BYTES}`,
      key.slice(0, 64),
    );
  }
}

/**
 * Longest accepted lease (`ttl`), in milliseconds: 2⁴⁸−1 ms, about 8,900 years. Every backend can
 * store it (Redis `PX` and BSON dates are 64-bit integers of ms; a `Date` holds ±8.64·10¹⁵ ms
 * around 1970, so now + ttl fits until about the year 10,900), it is an exact integer in a double,
 * and core's timers chain past Node's 2³¹−1 ms limit. Longer values reject with a `RangeError`
 * before any I/O.
 */
export const MAX_TTL = 2 ** 48 - 1;

/**
 * Longest accepted finite `timeout`, in milliseconds: the same bound as {@link MAX_TTL}.
 * `Infinity` is accepted and means "wait until granted or aborted".
 */
export const MAX_TIMEOUT = MAX_TTL;

/** Validates a lease length: a number of milliseconds in (0, {@link MAX_TTL}]. */
export function checkTtl(value: unknown, name = "ttl"): number {
  return checkDuration(value, name, { max: MAX_TTL });
}

/** Validates an acquisition timeout: 0, a number of milliseconds up to {@link MAX_TIMEOUT}, or Infinity. */
export function checkTimeout(value: unknown, name = "timeout"): number {
  return checkDuration(value, name, { allowZero: true, allowInfinity: true, max: MAX_TIMEOUT });
}

/**
 * Validates a duration in milliseconds: a finite number > 0 (or ≥ 0 / Infinity when allowed),
 * and at most `max` when given.
 */
export function checkDuration(
  value: unknown,
  name: string,
  opts: { allowZero?: boolean; allowInfinity?: boolean; max?: number } = {},
): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number of milliseconds, got ${describe(value)}`);
  }
  if (Number.isNaN(value)) throw new RangeError(`${name} must not be NaN`);
  if (value === Number.POSITIVE_INFINITY) {
    if (opts.allowInfinity) return value;
    throw new RangeError(`${name} must be finite`);
  }
  if (value < 0 || (value === 0 && !opts.allowZero)) {
    throw new RangeError(`${name} must be ${opts.allowZero ? ">= 0" : "> 0"} ms, got ${value}`);
  }
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite`);
  if (opts.max !== undefined && value > opts.max) {
    throw new RangeError(`${name} must be at most ${opts.max} ms, got ${value}`);
  }
  return value;
}

/** Validates an optional boolean option. */
export function checkBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean")
    throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** Validates an optional AbortSignal option. */
export function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(`signal must be an AbortSignal, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string")
    return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value);
  return typeof value === "object" ? (value.constructor?.name ?? "object") : typeof value;
}
