import { describe, expect, it } from "vitest";
import { aborted, settle, within } from "../async.js";
import type { SuiteContext } from "../context.js";
import { isErrorNamed } from "../error-match.js";
import { SKIP } from "../skip-reasons.js";
import { expectErrorNamed } from "./expect-error.js";

/** The documented fields of an error: `key` (as the application gave it) and `backend`. */
function fieldsOf(error: unknown): { key: unknown; backend: unknown } {
  const { key, backend } = error as { key?: unknown; backend?: unknown };
  return { key, backend };
}

/**
 * Errors are values users branch on: each is a `LockError` (by class name, see error-match.ts)
 * with the documented fields. Keys in errors are the application's keys, without the provider
 * prefix, so the scenarios use a prefixed provider.
 */
export function errorScenarios(s: SuiteContext): void {
  describe("errors", () => {
    it(
      "errors: LockTimeoutError is a LockError with key, backend and timeout",
      async () => {
        const [a, b] = await s.providers(2, { prefix: "errors:" });
        const key = s.key("timeout-error");
        const held = await a!.getLock(key).acquire();
        const outcome = await settle(() =>
          within(b!.getLock(key).acquire({ timeout: s.ms(100) }), s.prompt, "acquire"),
        );
        const error = expectErrorNamed(outcome, "LockTimeoutError", "acquire of a held key");
        expect(isErrorNamed(error, "LockError"), "LockTimeoutError extends LockError").toBe(true);
        const { key: errorKey, backend } = fieldsOf(error);
        expect(errorKey, "error.key is the key without the prefix").toBe(key);
        expect(typeof backend === "string" && backend !== "", "error.backend").toBe(true);
        expect((error as { timeout?: unknown }).timeout, "error.timeout (ms)").toBe(s.ms(100));
        await held.release();
      },
      s.testTimeout,
    );

    it(
      "errors: LockLostError (the signal's reason and extend's rejection) is a LockError with key and backend",
      async (ctx) => {
        // No prefix here: fault hooks take keys as used without one.
        const provider = await s.provider();
        const breakLock = s.faults.breakLock;
        const leases = provider.capabilities.leases;
        if (!breakLock && !leases) ctx.skip(`${SKIP.noLeases}, and ${SKIP.noHook("breakLock")}`);
        const key = s.key("lost-error");
        const ttl = s.minTtl;
        const handle = await provider.getLock(key, { ttl, autoExtend: false }).acquire();
        if (breakLock) await breakLock(key);
        const reason = await aborted(
          handle.signal,
          Math.max(ttl * 3, s.ms(1_000)) + s.prompt,
          "the lost handle's signal",
        );
        const extend = await settle(() => handle.extend());
        for (const [what, error] of [
          ["signal.reason", reason],
          ["extend() rejection", extend.ok ? undefined : extend.error],
        ] as const) {
          expect(isErrorNamed(error, "LockLostError"), `${what} is a LockLostError`).toBe(true);
          expect(isErrorNamed(error, "LockError"), `${what} extends LockError`).toBe(true);
          expect(fieldsOf(error).key, `${what}.key`).toBe(key);
          expect(typeof fieldsOf(error).backend, `${what}.backend`).toBe("string");
        }
      },
      s.testTimeout,
    );

    it(
      "errors: InvalidLockKeyError and LockProviderClosedError are LockErrors; the closed error names the backend",
      async () => {
        const provider = await s.provider();
        const invalid = await settle(() => provider.getLock(""));
        const error = expectErrorNamed(invalid, "InvalidLockKeyError", "getLock('')");
        expect(isErrorNamed(error, "LockError"), "InvalidLockKeyError extends LockError").toBe(
          true,
        );
        await provider.close();
        const closed = await settle(() =>
          provider.getLock(s.key("closed")).acquire({ timeout: 0 }),
        );
        const closedError = expectErrorNamed(
          closed,
          "LockProviderClosedError",
          "acquire after close()",
        );
        expect(
          isErrorNamed(closedError, "LockError"),
          "LockProviderClosedError extends LockError",
        ).toBe(true);
        expect(typeof fieldsOf(closedError).backend, "error.backend").toBe("string");
      },
      s.testTimeout,
    );
  });
}
