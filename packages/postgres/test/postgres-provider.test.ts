import { LockBackendError, LockLostError, LockTimeoutError } from "@locks/core";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { PostgresSessionPoolerError } from "../src/index.js";
import {
  abortedWithin,
  admin,
  eventually,
  holderOf,
  idOf,
  later,
  lockRows,
  provider,
  proxied,
  scalar,
  server,
  skipReason,
  uniqueKey,
} from "./helpers.js";

const suite = skipReason ? `@locks/postgres (${skipReason})` : `@locks/postgres on ${server?.mode}`;

describe.skipIf(!server)(suite, () => {
  describe("keys", () => {
    it("the provider prefix is part of the hashed id", async () => {
      const key = uniqueKey("prefixed");
      const a = provider({ prefix: "app1:" });
      const b = provider({ prefix: "app2:" });
      const one = await a.getLock(key).tryAcquire();
      const two = await b.getLock(key).tryAcquire();
      expect(one && two).toBeDefined();
      const client = await admin();
      expect(await holderOf(client, key, "app1:")).not.toBeNull();
      expect(await holderOf(client, key, "app2:")).not.toBeNull();
      expect(await holderOf(client, key)).toBeNull();
      await Promise.all([one!.release(), two!.release()]);
    });

    it("a key whose id collides with a held id only contends: it waits, then is granted", async () => {
      // A real SHA-256 prefix collision cannot be found; another session holding the same 64-bit
      // id is what the server sees when two keys collide.
      const client = await admin();
      const key = uniqueKey("collide");
      const id = String(idOf(key));
      await scalar(client, "SELECT pg_advisory_lock($1::bigint)", [id]);
      const locks = provider();
      expect(await locks.getLock(key).tryAcquire()).toBeUndefined();
      const waiting = locks.getLock(key).acquire({ timeout: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await scalar(client, "SELECT pg_advisory_unlock($1::bigint)", [id]);
      const handle = await waiting;
      expect(handle.fencingToken).toBeGreaterThan(0n);
      await handle.release();
    });
  });

  describe("waiting", () => {
    it("a finite timeout is the server's lock_timeout, honoured to the millisecond range", async () => {
      const [a, b] = [provider(), provider()];
      const key = uniqueKey("timeout");
      const held = await a.getLock(key).acquire();
      const started = performance.now();
      const outcome = await b.getLock(key).tryAcquire({ timeout: 250 });
      const waited = performance.now() - started;
      expect(outcome).toBeUndefined();
      expect(waited).toBeGreaterThanOrEqual(240);
      expect(waited).toBeLessThan(900);
      await expect(b.getLock(key).acquire({ timeout: 100 })).rejects.toBeInstanceOf(
        LockTimeoutError,
      );
      // The timed-out waits left no waiter behind.
      expect((await lockRows(await admin(), key)).filter(([, granted]) => !granted)).toEqual([]);
      await held.release();
    });

    it("an infinite wait spans several lock_timeout chunks and is granted on release", async () => {
      const [a, b] = [provider(), provider({ waitChunk: 1_000 })];
      const key = uniqueKey("forever");
      const held = await a.getLock(key).acquire();
      let granted = false;
      const waiting = b
        .getLock(key)
        .acquire()
        .then((handle) => {
          granted = true;
          return handle;
        });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(granted).toBe(false);
      const releasedAt = performance.now();
      await held.release();
      const next = await waiting;
      expect(performance.now() - releasedAt).toBeLessThan(500);
      expect(next.fencingToken! > held.fencingToken!).toBe(true);
      await next.release();
    });

    it("waiters on different providers are granted in the order they started waiting", async () => {
      const holder = provider();
      const key = uniqueKey("fifo");
      const held = await holder.getLock(key).acquire();
      const client = await admin();
      const order: number[] = [];
      const waits: Promise<void>[] = [];
      for (let i = 0; i < 6; i++) {
        const node = provider();
        waits.push(
          node
            .getLock(key)
            .acquire({ timeout: 10_000 })
            .then(async (handle) => {
              order.push(i);
              await handle.release();
            }),
        );
        // Each waiter is queued on the server before the next one starts.
        await eventually(
          async () => (await lockRows(client, key)).filter(([, g]) => !g).length === i + 1,
          5_000,
          `waiter ${i} queued`,
        );
      }
      await held.release();
      await Promise.all(waits);
      expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    });
  });

  describe("cancellation", () => {
    it("pg_cancel_backend ends a blocking wait promptly and leaves nothing on the server", async () => {
      const [a, b] = [provider(), provider()];
      const client = await admin();
      const key = uniqueKey("cancel");
      const held = await a.getLock(key).acquire();
      const controller = new AbortController();
      const waiting = b
        .getLock(key)
        .acquire({ signal: controller.signal })
        .catch((error: unknown) => error);
      await eventually(
        async () => (await lockRows(client, key)).some(([, granted]) => !granted),
        5_000,
        "the wait visible in pg_locks",
      );
      const reason = new Error("stop waiting");
      const abortedAt = performance.now();
      controller.abort(reason);
      expect(await waiting).toBe(reason);
      const rejectedAfter = performance.now() - abortedAt;
      await eventually(
        async () => !(await lockRows(client, key)).some(([, granted]) => !granted),
        2_000,
        "the wait ended on the server",
      );
      console.log(
        `pg_cancel_backend cancellation: rejected after ${rejectedAfter.toFixed(1)} ms, server-side wait gone within ${(performance.now() - abortedAt).toFixed(1)} ms`,
      );
      expect(rejectedAfter).toBeLessThan(500);
      await held.release();
      const next = await provider().getLock(key).tryAcquire();
      expect(next).toBeDefined();
      await next!.release();
    });

    it("aborting around the moment of release never leaves a lock behind", async () => {
      const [a, b, c] = [provider(), provider(), provider()];
      const key = uniqueKey("abort-race");
      for (let round = 0; round < 20; round++) {
        const held = await a.getLock(key).acquire();
        const controller = new AbortController();
        const waiting = b
          .getLock(key)
          .acquire({ signal: controller.signal })
          .then(
            (handle) => handle,
            () => undefined,
          );
        await new Promise((resolve) => setTimeout(resolve, 5 + (round % 5)));
        if (round % 2) {
          controller.abort();
          void held.release();
        } else {
          void held.release();
          controller.abort();
        }
        const got = await waiting;
        await held.release();
        await got?.release();
        const probe = await c.getLock(key).tryAcquire();
        expect(probe, `round ${round}: the key stayed locked`).toBeDefined();
        await probe!.release();
      }
    });
  });

  describe("connections", () => {
    it("after release, cancellation and timeouts no pooled connection holds an advisory lock", async () => {
      const pool = new pg.Pool({ connectionString: server!.url, max: 3 });
      pool.on("error", () => {});
      later(() => pool.end());
      const mine = provider({ pool });
      const other = provider();
      const key = uniqueKey("hygiene");
      await (await mine.getLock(key).acquire()).release();
      const held = await other.getLock(key).acquire();
      expect(await mine.getLock(key).tryAcquire({ timeout: 50 })).toBeUndefined();
      const controller = new AbortController();
      const cancelled = mine
        .getLock(key)
        .acquire({ signal: controller.signal })
        .catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort();
      await cancelled;
      await held.release();
      const pids = new Set<number>();
      const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      for (const client of clients) {
        const result = await client.query({
          text: "SELECT pg_backend_pid(), count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
          rowMode: "array",
        });
        const row = result.rows[0] as unknown[];
        pids.add(Number(row[0]));
        expect(Number(row[1])).toBe(0);
      }
      for (const client of clients) client.release();
      expect(pids.size).toBe(3);
    });

    it("never ends a pool it was given", async () => {
      const pool = new pg.Pool({ connectionString: server!.url, max: 2 });
      pool.on("error", () => {});
      later(() => pool.end());
      const locks = provider({ pool });
      const handle = await locks.getLock(uniqueKey("given")).acquire();
      await handle.release();
      await locks.close();
      expect(pool.ended).toBe(false);
      expect(Number((await pool.query({ text: "SELECT 1", rowMode: "array" })).rows[0]?.[0])).toBe(
        1,
      );
    });

    it("a session that holds a foreign advisory lock is not returned to a given pool", async () => {
      const pool = new pg.Pool({ connectionString: server!.url, max: 1 });
      pool.on("error", () => {});
      later(() => pool.end());
      // Another user of the pool leaves a session-level lock on its only connection.
      const foreign = await pool.connect();
      const foreignPid = Number(
        (
          await foreign.query({
            text: "SELECT pg_backend_pid(), pg_advisory_lock(42)",
            rowMode: "array",
          })
        ).rows[0]?.[0],
      );
      foreign.release();
      const locks = provider({ pool });
      const handle = await locks.getLock(uniqueKey("foreign")).acquire();
      await handle.release();
      // The dirty connection was destroyed (freeing its locks), so the pool opens a new one.
      const client = await pool.connect();
      const pid = Number(
        (await client.query({ text: "SELECT pg_backend_pid()", rowMode: "array" })).rows[0]?.[0],
      );
      client.release();
      expect(pid).not.toBe(foreignPid);
    });

    it("a pooler that runs statements in another session is detected and the lock refused", async () => {
      // What PgBouncer in transaction mode looks like from the client: the session announced at
      // connect time is not the one that runs the statements.
      const pool = new pg.Pool({ connectionString: server!.url, max: 2 });
      pool.on("error", () => {});
      pool.on("connect", (client) => {
        (client as unknown as { processID: number }).processID = 1;
      });
      later(() => pool.end());
      const locks = provider({ pool });
      const key = uniqueKey("pooler");
      const error = await locks
        .getLock(key)
        .tryAcquire()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PostgresSessionPoolerError);
      // Nothing stays held: the refused session was destroyed.
      await eventually(
        async () => (await holderOf(await admin(), key)) === null,
        2_000,
        "lock freed",
      );
    });
  });

  describe("loss detection", () => {
    it("pg_terminate_backend of the holder fires the lost signal and another node acquires", async () => {
      const [a, b] = [provider(), provider()];
      const client = await admin();
      const key = uniqueKey("terminate");
      const handle = await a.getLock(key).acquire();
      const holder = await holderOf(client, key);
      expect(holder).not.toBeNull();
      const waiting = b.getLock(key).acquire({ timeout: 5_000 });
      const killedAt = performance.now();
      await scalar(client, "SELECT pg_terminate_backend($1::int)", [holder]);
      const reason = await abortedWithin(handle.signal, 3_000);
      console.log(
        `lost signal ${(performance.now() - killedAt).toFixed(1)} ms after pg_terminate_backend`,
      );
      expect(reason).toBeInstanceOf(LockLostError);
      await expect(handle.extend()).rejects.toBeInstanceOf(LockLostError);
      await handle.release();
      const next = await waiting;
      expect(next.fencingToken! > handle.fencingToken!).toBe(true);
      await next.release();
    });

    it("extend() answered by the server's FATAL (its session was terminated) reports the lock lost", async () => {
      const { proxy, url } = await proxied();
      // No background check: the explicit extend() is the first to read the server's answer.
      const locks = provider({ connectionString: url, validateInterval: 60_000 });
      const key = uniqueKey("terminated-check");
      const handle = await locks.getLock(key).acquire();
      const db = await admin();
      const pid = await holderOf(db, key);
      // The FATAL that pg_terminate_backend sends waits in the paused proxy, unread.
      proxy.pause();
      await scalar(db, "SELECT pg_terminate_backend($1::int)", [pid]);
      await eventually(async () => (await holderOf(db, key)) === null, 5_000, "lock freed");
      const extending = handle.extend();
      // The check goes out and the FATAL comes in: it is read as the check's answer.
      proxy.resume();
      await expect(extending).rejects.toBeInstanceOf(LockLostError);
      expect(handle.lost).toBe(true);
      await handle.release();
    });

    it("a silent network (paused proxy) is reported lost within validateInterval + validateTimeout", async () => {
      const { proxy, url } = await proxied();
      const locks = provider({
        connectionString: url,
        validateInterval: 200,
        validateTimeout: 500,
      });
      const key = uniqueKey("partition");
      const handle = await locks.getLock(key).acquire();
      const pausedAt = performance.now();
      proxy.pause();
      const reason = await abortedWithin(handle.signal, 3_000);
      const noticed = performance.now() - pausedAt;
      console.log(`partition noticed after ${noticed.toFixed(0)} ms`);
      expect(reason).toBeInstanceOf(LockLostError);
      expect(noticed).toBeLessThan(200 + 500 + 1_000);
      await handle.release();
      proxy.resume();
      await eventually(
        async () => (await holderOf(await admin(), key)) === null,
        5_000,
        "lock freed",
      );
    });
  });

  describe("errors", () => {
    it("connection failures are LockBackendError with the driver error as cause", async () => {
      const locks = provider({
        connectionString: "postgres://postgres@127.0.0.1:1/postgres",
        poolConfig: { connectionTimeoutMillis: 1_000 },
      });
      const error = await locks
        .getLock("k")
        .tryAcquire()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBackendError);
      expect((error as LockBackendError).cause).toBeDefined();
      expect(locks.backend.isRetryable((error as LockBackendError).cause)).toBe(true);
    });
  });

  describe("fencing", () => {
    it("creates its table on first use and hands out strictly increasing tokens", async () => {
      const table = `fence_${Math.random().toString(36).slice(2, 10)}`;
      const client = await admin();
      later(() => client.query(`DROP TABLE IF EXISTS "${table}"`));
      const [a, b] = [provider({ fenceTable: table }), provider({ fenceTable: table })];
      const key = uniqueKey("fence");
      const tokens: bigint[] = [];
      for (let i = 0; i < 5; i++) {
        const handle = await (i % 2 ? a : b).getLock(key).acquire();
        tokens.push(handle.fencingToken!);
        await handle.release();
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
      // Tokens are at least the server clock in microseconds.
      const nowMicros = BigInt(
        String(
          await scalar(
            client,
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text",
          ),
        ),
      );
      expect(tokens[0]! > nowMicros - 60_000_000n).toBe(true);
    });

    it("durable fences and asynchronous ones share one counter", async () => {
      const key = uniqueKey("durable");
      const durable = provider({ durableFences: true });
      const fast = provider();
      const first = await durable.getLock(key).acquire();
      await first.release();
      const second = await fast.getLock(key).acquire();
      await second.release();
      const third = await durable.getLock(key).acquire();
      await third.release();
      expect(second.fencingToken! > first.fencingToken!).toBe(true);
      expect(third.fencingToken! > second.fencingToken!).toBe(true);
    });
  });
});
