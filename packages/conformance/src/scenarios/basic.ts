import { describe, expect, it } from "vitest";
import { settle, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { expectErrorNamed } from "./expect-error.js";

/** Basic acquire/release and the heart of it all: mutual exclusion between providers. */
export function basicScenarios(s: SuiteContext): void {
  describe("basic acquire/release", () => {
    it(
      "acquire on a free key returns a live handle for that key",
      async () => {
        const provider = await s.provider();
        const key = s.key("basic");
        const lock = provider.getLock(key);
        expect(lock.key).toBe(key);
        const handle = await within(lock.acquire(), s.prompt, "acquire of a free key");
        expect(handle.key).toBe(key);
        expect(handle.lost).toBe(false);
        expect(handle.signal).toBeInstanceOf(AbortSignal);
        expect(handle.signal.aborted).toBe(false);
        await handle.release();
        expect(handle.signal.aborted, "releasing is not losing").toBe(false);
      },
      s.testTimeout,
    );

    it(
      "mutual exclusion: a key held by one provider cannot be taken by another",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("exclusion");
        const held = await within(a!.getLock(key).acquire(), s.prompt, "first acquire");
        const attempt = await within(b!.getLock(key).tryAcquire(), s.prompt, "tryAcquire");
        expect(attempt, "a second provider got a handle for a held key").toBeUndefined();
        // 200 ms: long enough for any provider to have made several attempts.
        const waited = await settle(() =>
          within(b!.getLock(key).acquire({ timeout: s.ms(200) }), s.prompt + s.ms(200), "acquire"),
        );
        expectErrorNamed(waited, "LockTimeoutError", "acquire of a held key");
        await held.release();
        const after = await within(
          b!.getLock(key).tryAcquire(),
          s.prompt,
          "tryAcquire after release",
        );
        expect(after, "the key stayed blocked after its release").toBeDefined();
        await after!.release();
      },
      s.testTimeout,
    );

    it(
      "mutual exclusion: not reentrant, a second acquire on the same provider waits like any other",
      async () => {
        const provider = await s.provider();
        const key = s.key("reentrant");
        const held = await within(provider.getLock(key).acquire(), s.prompt, "first acquire");
        const again = await within(provider.getLock(key).tryAcquire(), s.prompt, "tryAcquire");
        expect(again, "the same provider got the held key twice").toBeUndefined();
        const waited = await settle(() =>
          within(
            provider.getLock(key).acquire({ timeout: s.ms(200) }),
            s.prompt + s.ms(200),
            "acquire",
          ),
        );
        expectErrorNamed(waited, "LockTimeoutError", "second acquire on the same provider");
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "release frees the key for another provider at once",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("release-frees");
        for (let round = 0; round < 3; round++) {
          const first = await within(a!.getLock(key).tryAcquire(), s.prompt, "tryAcquire (a)");
          expect(first, `round ${round}: the key was not free`).toBeDefined();
          await first!.release();
          const second = await within(b!.getLock(key).tryAcquire(), s.prompt, "tryAcquire (b)");
          expect(second, `round ${round}: release did not free the key`).toBeDefined();
          await second!.release();
        }
      },
      s.testTimeout,
    );

    it(
      "await using (Symbol.asyncDispose) releases the lock",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("dispose");
        {
          await using handle = await within(a!.getLock(key).acquire(), s.prompt, "acquire");
          expect(typeof handle[Symbol.asyncDispose]).toBe("function");
          expect(await s.isFree(b!, key)).toBe(false);
        }
        const after = await within(b!.getLock(key).tryAcquire(), s.prompt, "tryAcquire");
        expect(after, "disposing the handle did not release the lock").toBeDefined();
        await after!.release();
      },
      s.testTimeout,
    );

    it(
      "mutual exclusion: one provider can hold many keys at once, each exclusive",
      async () => {
        const [a, b] = await s.providers(2);
        const keys = Array.from({ length: 10 }, (_, i) => s.key(`many-${i}`));
        const handles = await within(
          Promise.all(keys.map((key) => a!.getLock(key).acquire())),
          s.prompt * 2,
          "acquire of 10 free keys",
        );
        const others = await Promise.all(keys.map((key) => s.isFree(b!, key)));
        expect(others.filter(Boolean).length, "keys taken twice").toBe(0);
        await Promise.all(handles.map((handle) => handle.release()));
        const freed = await Promise.all(keys.map((key) => s.isFree(b!, key)));
        expect(freed.filter(Boolean).length, "keys free after release").toBe(keys.length);
      },
      s.testTimeout,
    );

    it(
      "mutual exclusion: releasing one key frees only that key, the provider's other keys stay held",
      async () => {
        // A backend with one session per provider can free every lock of the session at once
        // (PostgreSQL's pg_advisory_unlock_all(), MySQL's RELEASE_ALL_LOCKS()): releasing keys
        // one at a time, with the others still held, is what shows it.
        const [a, b] = await s.providers(2);
        const keys = Array.from({ length: 3 }, (_, i) => s.key(`one-of-many-${i}`));
        const handles = [];
        for (const key of keys) {
          handles.push(await within(a!.getLock(key).acquire(), s.prompt, "acquire of a free key"));
        }
        for (let i = 0; i < keys.length; i++) {
          await within(handles[i]!.release(), s.prompt, `release of key ${i}`);
          expect(await s.isFree(b!, keys[i]!), `key ${i} stayed blocked after its release`).toBe(
            true,
          );
          for (let j = i + 1; j < keys.length; j++) {
            expect(
              await s.isFree(b!, keys[j]!),
              `releasing key ${i} freed key ${j}, which is still held`,
            ).toBe(false);
            expect(handles[j]!.lost, `releasing key ${i} marked key ${j} lost`).toBe(false);
          }
        }
      },
      s.testTimeout,
    );
  });
}
