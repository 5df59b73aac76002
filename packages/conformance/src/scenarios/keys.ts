import { describe, expect, it } from "vitest";
import { within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { describeError, isErrorNamed } from "../error-match.js";

/** Keys: validation before I/O, 1 KiB of UTF-8, unicode, case-sensitivity, prefixes. */
export function keyScenarios(s: SuiteContext): void {
  /** `key`, padded with ASCII to exactly `bytes` bytes of UTF-8. */
  function padTo(key: string, bytes: number): string {
    return key + "x".repeat(bytes - Buffer.byteLength(key, "utf8"));
  }

  /** Asserts that getLock(key) throws InvalidLockKeyError synchronously: before any I/O. */
  async function expectInvalidKey(key: unknown, what: string): Promise<void> {
    const provider = await s.provider();
    let error: unknown;
    try {
      // A synchronous throw is the proof that nothing reached the backend.
      provider.getLock(key as string);
    } catch (thrown) {
      error = thrown;
    }
    expect(isErrorNamed(error, "InvalidLockKeyError"), `${what}: got ${describeError(error)}`).toBe(
      true,
    );
  }

  /** Asserts `key` is a working, exclusive lock. */
  async function expectExclusive(key: string): Promise<void> {
    const [a, b] = await s.providers(2);
    const held = await within(a!.getLock(key).acquire(), s.prompt, "acquire");
    expect(held.key).toBe(key);
    expect(await s.isFree(b!, key), "the key was not exclusive").toBe(false);
    await held.release();
    const next = await within(b!.getLock(key).tryAcquire(), s.prompt, "tryAcquire after release");
    expect(next, "the key was not freed").toBeDefined();
    await next!.release();
  }

  describe("keys", () => {
    it(
      "keys: an empty key throws InvalidLockKeyError from getLock, before any I/O",
      () => expectInvalidKey("", "empty key"),
      s.testTimeout,
    );

    it(
      "keys: a non-string key throws InvalidLockKeyError",
      async () => {
        for (const key of [42, undefined, null, {}, Symbol("k")]) {
          await expectInvalidKey(key, `key ${String(key)}`);
        }
      },
      s.testTimeout,
    );

    it(
      "keys: a key that is not well-formed Unicode (a lone surrogate) throws InvalidLockKeyError",
      async () => {
        // Lone surrogates have no UTF-8 form: a backend would store U+FFFD, and two distinct keys
        // would name one lock.
        await expectInvalidKey(`${s.key("lone-high")}\ud800`, "lone high surrogate");
        await expectInvalidKey(`\udc00${s.key("lone-low")}`, "lone low surrogate");
      },
      s.testTimeout,
    );

    it(
      "keys: a key of exactly 1 KiB of UTF-8 works and is exclusive",
      async () => {
        await expectExclusive(padTo(s.key("kib"), 1024));
        // Multi-byte: 1 KiB of UTF-8 in fewer characters.
        const wide = s.key("kib-wide");
        const rest = 1024 - Buffer.byteLength(wide, "utf8");
        const wideKey = `${wide}${rest % 2 ? "x" : ""}${"é".repeat(rest >> 1)}`;
        expect(Buffer.byteLength(wideKey, "utf8")).toBe(1024);
        await expectExclusive(wideKey);
      },
      s.testTimeout,
    );

    it(
      "keys: a key over 1 KiB of UTF-8 is rejected with InvalidLockKeyError, counted in bytes",
      async () => {
        await expectInvalidKey(padTo(s.key("kib1"), 1025), "1 KiB + 1 byte");
        // 513 two-byte characters: 1,026 bytes in only 513 UTF-16 code units.
        await expectInvalidKey("é".repeat(513), "1 KiB + 2 bytes of 2-byte characters");
      },
      s.testTimeout,
    );

    it(
      "keys: unicode keys (emoji, combining marks) work, are exclusive and are compared verbatim",
      async () => {
        const base = s.key("unicode");
        await expectExclusive(`${base}:🔒🧑‍💻`);
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are different keys: no normalisation.
        const composed = `${base}:caf\u00e9`;
        const decomposed = `${base}:cafe\u0301`;
        await expectExclusive(decomposed);
        const [a, b] = await s.providers(2);
        const one = await a!.getLock(composed).acquire({ timeout: s.prompt });
        const two = await within(b!.getLock(decomposed).tryAcquire(), s.prompt, "tryAcquire");
        expect(two, "NFC and NFD spellings collided").toBeDefined();
        await Promise.all([one.release(), two!.release()]);
      },
      s.testTimeout,
    );

    it(
      "keys: keys are case-sensitive, 'Foo' and 'foo' are independent locks",
      async () => {
        const [a, b] = await s.providers(2);
        const suffix = s.key("case");
        const upper = await a!.getLock(`Foo:${suffix}`).acquire({ timeout: s.prompt });
        const lower = await within(
          b!.getLock(`foo:${suffix}`).tryAcquire(),
          s.prompt,
          "tryAcquire",
        );
        expect(lower, "'Foo' and 'foo' contended: keys are not case-sensitive").toBeDefined();
        expect(await s.isFree(b!, `Foo:${suffix}`), "'Foo' was not exclusive").toBe(false);
        await Promise.all([upper.release(), lower!.release()]);
      },
      s.testTimeout,
    );

    it(
      "keys: providers with different prefixes do not contend; the same prefix does",
      async () => {
        const prefixA = `${s.key("prefix-a")}:`;
        const prefixB = `${s.key("prefix-b")}:`;
        const [a1, a2] = await s.providers(2, { prefix: prefixA });
        const b1 = await s.provider({ prefix: prefixB });
        const key = "shared-name";
        const held = await a1!.getLock(key).acquire({ timeout: s.prompt });
        expect(held.key, "handle.key must not include the prefix").toBe(key);
        const other = await within(
          b1.getLock(key).tryAcquire(),
          s.prompt,
          "tryAcquire (other prefix)",
        );
        expect(other, "providers with different prefixes contended").toBeDefined();
        const same = await within(
          a2!.getLock(key).tryAcquire(),
          s.prompt,
          "tryAcquire (same prefix)",
        );
        expect(same, "providers with the same prefix did not contend").toBeUndefined();
        expect(a1!.getLock(key).key, "lock.key must not include the prefix").toBe(key);
        await Promise.all([held.release(), other!.release()]);
      },
      s.testTimeout,
    );

    it(
      "keys: prefix and key are kept apart: prefix 'p' with key 'qr' and prefix 'pq' with key 'r' do not contend",
      async () => {
        // The same concatenation (prefix + key) from three different (prefix, key) pairs: a
        // provider that names locks by concatenating would make them one lock.
        const base = s.key("split");
        const pairs: Array<[string, string]> = [
          [`${base}:a`, "bc"],
          [`${base}:ab`, "c"],
          ["", `${base}:abc`],
        ];
        const held = [];
        for (const [prefix, key] of pairs) {
          const provider = await s.provider({ prefix });
          const handle = await within(
            provider.getLock(key).tryAcquire(),
            s.prompt,
            `tryAcquire (prefix "${prefix}", key "${key}")`,
          );
          expect(
            handle,
            `prefix "${prefix}" with key "${key}" contended with another (prefix, key) pair of the same concatenation`,
          ).toBeDefined();
          held.push(handle!);
        }
        await Promise.all(held.map((handle) => handle.release()));
      },
      s.testTimeout,
    );
  });
}
