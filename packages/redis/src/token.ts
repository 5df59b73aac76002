import { randomFillSync } from "node:crypto";

/** Owner tokens drawn from one fill of the random source (each fill costs a system call). */
const TOKENS_PER_FILL = 256;
const TOKEN_BYTES = 16;
const entropy = Buffer.alloc(TOKEN_BYTES * TOKENS_PER_FILL);
let nextToken = TOKENS_PER_FILL;

/**
 * A random owner token (128 bits from the system's cryptographic random source, base64url). The
 * bytes come from a buffer refilled every {@link TOKENS_PER_FILL} tokens, as `crypto.randomUUID()`
 * does: a fill per token cost several microseconds per acquisition. No two tokens share bytes.
 */
export function newToken(): string {
  if (nextToken === TOKENS_PER_FILL) {
    randomFillSync(entropy);
    nextToken = 0;
  }
  const start = TOKEN_BYTES * nextToken++;
  return entropy.toString("base64url", start, start + TOKEN_BYTES);
}

/** Lease length as Redis expects it for PX: a whole number of milliseconds, rounded up. */
export function pxTtl(ttl: number): number {
  return Math.max(1, Math.ceil(ttl));
}
