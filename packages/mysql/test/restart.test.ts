import { LockLostError } from "@locks/core";
import { backendKey } from "@locks/core/backend";
import { describe, expect, it } from "vitest";
import { mysqlLockName } from "../src/index.js";
import {
  abortedWithin,
  admin,
  provider,
  scalar,
  server,
  skipReason,
  uniqueKey,
} from "./helpers.js";

const restartReason = skipReason
  ? skipReason
  : server?.control
    ? undefined
    : `skipped: the server came from ${server?.mode} and cannot be restarted by this run`;

describe.skipIf(restartReason !== undefined)(
  `@locks/mysql across a server restart${restartReason ? ` (${restartReason})` : ""}`,
  () => {
    it("a held lock is reported lost, fencing tokens keep increasing from an emptied fence table, the provider recovers", async () => {
      const locks = provider();
      const key = uniqueKey("restart");
      const tokens: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        const handle = await locks.getLock(key).acquire();
        tokens.push(handle.fencingToken!);
        await handle.release();
      }
      const held = await locks.getLock(key).acquire();
      tokens.push(held.fencingToken!);
      await server!.control!.restart();
      expect(await abortedWithin(held.signal, 5_000)).toBeInstanceOf(LockLostError);
      await held.release();
      // The restart emptied the MEMORY fence table: the tokens below come from the server clock,
      // and must still be above every token handed out before the restart.
      const connection = await admin();
      const rows = await scalar(connection, "SELECT COUNT(*) FROM locks_fence WHERE name = ?", [
        mysqlLockName(backendKey("", key)),
      ]);
      expect(Number(rows)).toBe(0);
      for (let i = 0; i < 2; i++) {
        const handle = await locks.getLock(key).acquire({ timeout: 10_000 });
        tokens.push(handle.fencingToken!);
        await handle.release();
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
      expect(tokens).toHaveLength(6);
    });

    it("during an outage a lost handle's release returns at once, a held one's within validateTimeout", async () => {
      const locks = provider({ validateInterval: 100, validateTimeout: 400 });
      const lost = await locks.getLock(uniqueKey("outage-lost")).acquire();
      // This one checks rarely, so its release is the first statement sent into the outage.
      const rarely = provider({ validateInterval: 60_000, validateTimeout: 400 });
      const held = await rarely.getLock(uniqueKey("outage-held")).acquire({ timeout: 5_000 });
      await server!.control!.pause();
      try {
        // The unanswered ownership check reports the loss (and drops the connection).
        expect(await abortedWithin(lost.signal, 3_000)).toBeInstanceOf(LockLostError);
        let started = performance.now();
        await lost.release();
        expect(performance.now() - started).toBeLessThan(100);
        // A release sent into the outage waits for its reply no longer than validateTimeout.
        started = performance.now();
        await held.release().catch(() => {});
        const waited = performance.now() - started;
        expect(waited).toBeGreaterThan(350);
        expect(waited).toBeLessThan(400 + 1_000);
      } finally {
        await server!.control!.resume();
      }
    });
  },
);
