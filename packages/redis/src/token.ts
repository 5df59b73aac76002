import { randomBytes } from "node:crypto";

/** A random owner token (128 bits, base64url). */
export function newToken(): string {
  return randomBytes(16).toString("base64url");
}

/** Lease length as Redis expects it for PX: a whole number of milliseconds, rounded up. */
export function pxTtl(ttl: number): number {
  return Math.max(1, Math.ceil(ttl));
}
