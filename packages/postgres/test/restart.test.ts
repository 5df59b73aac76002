import { LockLostError } from "@locks/core";
import { describe, expect, it } from "vitest";
import { abortedWithin, provider, server, skipReason, uniqueKey } from "./helpers.js";

const restartReason = skipReason
  ? skipReason
  : server?.control
    ? undefined
    : `skipped: the server came from ${server?.mode} and cannot be restarted by this run`;

describe.skipIf(restartReason !== undefined)(
  `@locks/postgres across a server restart${restartReason ? ` (${restartReason})` : ""}`,
  () => {
    it("a held lock is reported lost, a waiter rides the restart out, fencing tokens keep increasing", async () => {
      const locks = provider();
      const durable = provider({ durableFences: true });
      const key = uniqueKey("restart");
      const tokens: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        const handle = await (i % 2 ? durable : locks).getLock(key).acquire();
        tokens.push(handle.fencingToken!);
        await handle.release();
      }
      const held = await locks.getLock(key).acquire();
      tokens.push(held.fencingToken!);
      const waiting = durable.getLock(key).acquire({ timeout: 20_000 });
      await server!.control!.restart();
      expect(await abortedWithin(held.signal, 5_000)).toBeInstanceOf(LockLostError);
      await held.release();
      // The waiter's connection died with the server: its wait rides that out and is granted.
      const next = await waiting;
      tokens.push(next.fencingToken!);
      await next.release();
      for (let i = 0; i < 3; i++) {
        const handle = await (i % 2 ? durable : locks).getLock(key).acquire({ timeout: 10_000 });
        tokens.push(handle.fencingToken!);
        await handle.release();
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
      expect(tokens).toHaveLength(8);
    });
  },
);
