import { describe, expect, it } from "vitest";
import { backendKey } from "../src/backend.js";
import { MemoryLockProvider, MemoryLockStore } from "../src/index.js";

describe("backend keys", () => {
  it("map (prefix, key) injectively: the prefix's length says where it ends", () => {
    expect(backendKey("a", "bc")).not.toBe(backendKey("ab", "c"));
    expect(backendKey("", "1:ab")).not.toBe(backendKey("a", "b"));
    expect(backendKey("app:", "feeds")).toBe("4:app:feeds");
    expect(backendKey("", "feeds")).toBe("0:feeds");
    // Multi-byte prefixes count UTF-8 bytes, as every backend stores them.
    expect(backendKey("ключ", "x")).toBe("8:ключx");
    const pairs: [string, string][] = [];
    const parts = ["", "a", "b", "ab", "1:", ":", "0:", "é", "1:a"];
    for (const prefix of parts) for (const key of parts) if (key) pairs.push([prefix, key]);
    const mapped = new Set(pairs.map(([p, k]) => backendKey(p, k)));
    expect(mapped.size).toBe(pairs.length);
  });

  it('prefix "a" + key "bc" and prefix "ab" + key "c" are different locks', async () => {
    const store = new MemoryLockStore();
    const a = new MemoryLockProvider({ store, prefix: "a" });
    const ab = new MemoryLockProvider({ store, prefix: "ab" });
    const held = await a.getLock("bc").acquire();
    const other = await ab.getLock("c").tryAcquire();
    expect(other).toBeDefined();
    await other?.release();
    await held.release();
    await a.close();
    await ab.close();
  });

  it("rejects a prefix that is not a well-formed string of at most 1 KiB, before any I/O", () => {
    expect(() => new MemoryLockProvider({ prefix: 1 as unknown as string })).toThrow(TypeError);
    expect(() => new MemoryLockProvider({ prefix: "\ud800" })).toThrow(/prefix/);
    expect(() => new MemoryLockProvider({ prefix: "x".repeat(1025) })).toThrow(RangeError);
  });
});
