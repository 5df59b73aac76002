import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { postgresLockId } from "../src/index.js";
import { lockIdParts } from "../src/lock-id.js";

describe("postgresLockId", () => {
  it("is the first 8 bytes of SHA-256 of the UTF-8 key, big-endian signed", () => {
    const digest = createHash("sha256").update("caf\u00e9", "utf8").digest();
    expect(postgresLockId("caf\u00e9")).toBe(digest.readBigInt64BE(0));
    // A known value, so that the mapping cannot change unnoticed (ids are shared across versions).
    expect(postgresLockId("a")).toBe(-3_848_465_438_864_589_366n);
  });

  it("separates case, unicode normal forms and prefixes", () => {
    const ids = ["Foo", "foo", "caf\u00e9", "cafe\u0301", "app1:k", "app2:k"].map(postgresLockId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("fits a signed 64-bit integer for every key", () => {
    for (const key of ["", "x".repeat(1024), "\u{1f512}"]) {
      const id = postgresLockId(key);
      expect(id >= -(2n ** 63n) && id < 2n ** 63n).toBe(true);
    }
  });
});

describe("lockIdParts", () => {
  it("splits an id the way pg_locks shows it (classid = high 32 bits, objid = low 32 bits)", () => {
    expect(lockIdParts(-5n)).toEqual({ classid: "4294967295", objid: "4294967291" });
    expect(lockIdParts(7n)).toEqual({ classid: "0", objid: "7" });
    expect(lockIdParts(2n ** 32n + 3n)).toEqual({ classid: "1", objid: "3" });
  });
});
