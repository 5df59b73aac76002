import { LockTimeoutError } from "@locks/core";
import { startTcpProxy } from "@locks/testing";
import type mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { isRetryableMySqlError } from "../src/retryable.js";
import {
  admin,
  eventually,
  later,
  provider,
  server,
  skipReason,
  uniqueKey,
  waitingConnection,
} from "./helpers.js";

// Core retries a wait's transient errors (through `LockBackend.isRetryable`) from the release
// that exports its default classifier; before it, a killed wait rejects at once.
const coreRetries = "isTransientNetworkError" in (await import("@locks/core/backend"));
const reason =
  skipReason ?? (coreRetries ? undefined : "skipped: this @locks/core does not retry waits yet");
const suite = reason
  ? `@locks/mysql transient errors (${reason})`
  : "@locks/mysql transient errors";

/** `KILL`s a connection the way an operator (or a dying network middlebox) ends it. */
async function kill(connection: mysql.Connection, id: number): Promise<void> {
  await connection.query(`KILL ${Number(id)}`).catch((error: { errno?: number }) => {
    if (error.errno !== 1094) throw error; // already gone
  });
}

describe.skipIf(reason !== undefined)(suite, () => {
  it("a waiting acquire survives KILLs of its connection and is granted on release", async () => {
    const [a, b] = [provider(), provider()];
    const connection = await admin();
    const key = uniqueKey("kill-wait");
    const held = await a.getLock(key).acquire();
    const waiting = b
      .getLock(key)
      .acquire({ timeout: 10_000 })
      .catch((error: unknown) => error);
    for (let round = 0; round < 3; round++) {
      const first = await waitingConnection(connection, b);
      await kill(connection, first);
      // The wait resumes on a new connection: the server shows a GET_LOCK wait by another id.
      await eventually(
        async () => (await waitingConnection(connection, b)) !== first,
        5_000,
        "the wait resumed on a new connection",
      );
    }
    await held.release();
    const handle = await waiting;
    expect(handle).not.toBeInstanceOf(Error);
    await (handle as { release(): Promise<void> }).release();
  });

  it("a wait whose server becomes unreachable ends with LockTimeoutError, the last error as cause", async () => {
    const proxy = await startTcpProxy({ host: server!.host, port: server!.port });
    let closed = false;
    later(async () => {
      if (!closed) await proxy.close();
    });
    const url = new URL(server!.url);
    url.hostname = proxy.host;
    url.port = String(proxy.port);
    const [a, b] = [provider(), provider({ url: url.href })];
    const connection = await admin();
    const key = uniqueKey("unreachable");
    const held = await a.getLock(key).acquire();
    const started = performance.now();
    const waiting = b
      .getLock(key)
      .acquire({ timeout: 1_500 })
      .catch((error: unknown) => error);
    await waitingConnection(connection, b);
    // Every connection is reset and every new one refused, until the wait's time has run out.
    closed = true;
    await proxy.close();
    const error = await waiting;
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(isRetryableMySqlError((error as LockTimeoutError).cause)).toBe(true);
    expect(elapsed).toBeGreaterThan(1_400);
    expect(elapsed).toBeLessThan(5_000);
    await held.release();
  });
});
