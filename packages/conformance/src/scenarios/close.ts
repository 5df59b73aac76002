import type { LockHandle, LockProvider } from "@locks/core";
import { describe, expect, it } from "vitest";
import { settle, sleep, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { expectErrorNamed } from "./expect-error.js";

/** `close()` with handles still held and waits pending. */
export function closeScenarios(s: SuiteContext): void {
  describe("close()", () => {
    it(
      "close(): await using a provider closes it: its held lock is released at once, acquire after it rejects",
      async () => {
        const b = await s.provider();
        const key = s.key("dispose-provider");
        let handle: LockHandle | undefined;
        let disposed: LockProvider | undefined;
        {
          await using a = await s.provider();
          disposed = a;
          // A 60 s lease: another provider gets the key promptly only if disposing released it.
          handle = await a.getLock(key, { ttl: s.ms(60_000) }).acquire({ timeout: s.prompt });
        }
        expect(handle.signal.aborted, "the held handle's signal after disposal").toBe(true);
        const next = await within(b.getLock(key).tryAcquire(), s.prompt, "tryAcquire");
        expect(next, "the key stayed held after its provider was disposed").toBeDefined();
        await next!.release();
        const after = await settle(() =>
          disposed!.getLock(s.key("after-dispose")).acquire({ timeout: 0 }),
        );
        expectErrorNamed(after, "LockProviderClosedError", "acquire after disposal");
      },
      s.testTimeout,
    );

    it(
      "close(): held handles' signals abort and other providers take their keys at once, without waiting for the ttl",
      async () => {
        const [a, b] = await s.providers(2);
        const keys = [s.key("close-1"), s.key("close-2")];
        // A 60 s lease: if another provider gets the keys promptly, close() released them.
        const handles = await Promise.all(
          keys.map((key) => a!.getLock(key, { ttl: s.ms(60_000) }).acquire({ timeout: s.prompt })),
        );
        await within(a!.close(), s.patient, "close()");
        for (const handle of handles) {
          expect(handle.signal.aborted, `${handle.key}: signal not aborted by close()`).toBe(true);
        }
        for (const key of keys) {
          const next = await within(
            b!.getLock(key).tryAcquire(),
            s.prompt,
            "tryAcquire after close()",
          );
          expect(next, `${key} still held after its provider closed`).toBeDefined();
          await next!.release();
        }
      },
      s.testTimeout,
    );

    it(
      "close(): pending waits reject and acquire after close rejects",
      async () => {
        const [a, b] = await s.providers(2);
        const key = s.key("close-pending");
        const held = await b!.getLock(key).acquire();
        const pending = settle(() => a!.getLock(key).acquire());
        // 50 ms: the acquire has made its first attempt and is waiting when close() comes.
        await sleep(s.ms(50));
        await within(a!.close(), s.patient, "close()");
        const outcome = await within(pending, s.prompt, "pending acquire after close()");
        expect(outcome.ok, "a pending wait was granted after close()").toBe(false);
        const after = await settle(async () =>
          a!.getLock(s.key("after-close")).acquire({ timeout: 0 }),
        );
        expect(after.ok, "acquire after close() succeeded").toBe(false);
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "close(): is idempotent, and release() of a handle after close resolves",
      async () => {
        const provider = await s.provider();
        const handle = await provider.getLock(s.key("close-twice")).acquire();
        await within(
          Promise.all([provider.close(), provider.close()]),
          s.patient,
          "concurrent close()",
        );
        await within(provider.close(), s.patient, "third close()");
        const release = await settle(() =>
          within(handle.release(), s.prompt, "release after close"),
        );
        expect(release.ok, "release() after close() threw").toBe(true);
      },
      s.testTimeout,
    );
  });
}
