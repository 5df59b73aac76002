import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LOCK_NAME_PREFIX, mysqlLockName } from "../src/index.js";

describe("mysqlLockName", () => {
  it("is the prefix plus 52 lowercase base32 characters: 58 in all, under MySQL's 64", () => {
    for (const key of ["a", "Foo", "x".repeat(1024), "ключ 🔒", "prefix:key"]) {
      const name = mysqlLockName(key);
      expect(name.startsWith(LOCK_NAME_PREFIX)).toBe(true);
      expect(name).toHaveLength(58);
      expect(name.slice(LOCK_NAME_PREFIX.length)).toMatch(/^[a-z2-7]{52}$/);
    }
  });

  it("is deterministic and encodes the SHA-256 of the key's UTF-8 bytes", () => {
    expect(mysqlLockName("order:42")).toBe(mysqlLockName("order:42"));
    // RFC 4648 test vector style check: decode the base32 back to the digest.
    const body = mysqlLockName("order:42").slice(LOCK_NAME_PREFIX.length);
    const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    let bits = "";
    for (const char of body) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
    const bytes = Buffer.from(
      Array.from({ length: 32 }, (_, i) => Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2)),
    );
    expect(bytes.equals(createHash("sha256").update("order:42", "utf8").digest())).toBe(true);
    expect(bits.slice(256)).toMatch(/^0*$/);
  });

  it("keeps keys that differ only in case, or only after 64 characters, apart", () => {
    expect(mysqlLockName("Foo")).not.toBe(mysqlLockName("foo"));
    const long = "k".repeat(100);
    expect(mysqlLockName(`${long}1`)).not.toBe(mysqlLockName(`${long}2`));
    // Names are single-case, so MySQL's case-insensitive comparison cannot merge them.
    expect(mysqlLockName("Foo").toLowerCase()).toBe(mysqlLockName("Foo"));
  });
});
