import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { LockLostError, LockTimeoutError } from "@locks/core";
import { backendKey } from "@locks/core/backend";
import { startTcpProxy } from "@locks/testing";
import mysql from "mysql2";
import type mysqlPromise from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { fenceTableDdl, MySqlLockDeadlockError, mysqlLockName } from "../src/index.js";
import {
  abortedWithin,
  admin,
  eventually,
  holderOf,
  later,
  provider,
  scalar,
  server,
  skipReason,
  stateOf,
  uniqueKey,
  waitingConnection,
} from "./helpers.js";

const suite = skipReason ? `@locks/mysql (${skipReason})` : `@locks/mysql on ${server?.mode}`;

describe.skipIf(!server)(suite, () => {
  describe("keys", () => {
    it("case-distinct keys are distinct locks", async () => {
      const [a, b] = [provider(), provider()];
      const base = uniqueKey("case");
      const upper = await a.getLock(`${base}:Foo`).tryAcquire();
      const lower = await b.getLock(`${base}:foo`).tryAcquire();
      expect(upper).toBeDefined();
      expect(lower).toBeDefined();
      expect(await b.getLock(`${base}:Foo`).tryAcquire()).toBeUndefined();
      await upper!.release();
      await lower!.release();
    });

    it("keys longer than 64 characters that share their first 64 never collide; 1 KiB keys work", async () => {
      const [a, b] = [provider(), provider()];
      const common = uniqueKey("long").padEnd(200, "x");
      const first = await a.getLock(`${common}1`).tryAcquire();
      const second = await b.getLock(`${common}2`).tryAcquire();
      expect(first).toBeDefined();
      expect(second).toBeDefined();
      const huge = uniqueKey("huge").padEnd(1024, "x");
      const hugeHandle = await a.getLock(huge).tryAcquire();
      expect(hugeHandle).toBeDefined();
      expect(await b.getLock(huge).tryAcquire()).toBeUndefined();
      await Promise.all([first!.release(), second!.release(), hugeHandle!.release()]);
    });

    it("the provider prefix is part of the hashed name", async () => {
      const key = uniqueKey("prefixed");
      const a = provider({ prefix: "app1:" });
      const b = provider({ prefix: "app2:" });
      const one = await a.getLock(key).tryAcquire();
      const two = await b.getLock(key).tryAcquire();
      expect(one && two).toBeDefined();
      const connection = await admin();
      expect(await holderOf(connection, key, "app1:")).not.toBeNull();
      expect(await holderOf(connection, key)).toBeNull();
      await Promise.all([one!.release(), two!.release()]);
    });
  });

  describe("timeouts", () => {
    for (const fractionalTimeouts of [undefined, false] as const) {
      const how =
        fractionalTimeouts === false
          ? "whole-second GET_LOCK + polling (MySQL 8 path)"
          : "detected server behaviour";
      it(`a sub-second timeout is honoured (${how})`, async () => {
        const [a, b] = [provider(), provider({ fractionalTimeouts })];
        const key = uniqueKey("subsecond");
        const held = await a.getLock(key).acquire();
        const started = performance.now();
        const outcome = await b.getLock(key).tryAcquire({ timeout: 250 });
        const waited = performance.now() - started;
        expect(outcome).toBeUndefined();
        expect(waited).toBeGreaterThanOrEqual(240);
        expect(waited).toBeLessThan(900);
        const rejected = await b
          .getLock(key)
          .acquire({ timeout: 1_300 })
          .catch((error: unknown) => error);
        expect(rejected).toBeInstanceOf(LockTimeoutError);
        await held.release();
      });
    }

    for (const fractionalTimeouts of [undefined, false] as const) {
      const how =
        fractionalTimeouts === false ? "whole-second GET_LOCK" : "detected server behaviour";
      it(`an infinite wait (default) spans several GET_LOCK chunks and is granted on release (${how})`, async () => {
        const [a, b] = [provider(), provider({ waitChunk: 1_000, fractionalTimeouts })];
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
    }
  });

  describe("fairness", () => {
    it("waiters on different providers are granted in arrival order (the server queues them FIFO)", async () => {
      const connection = await admin();
      const key = uniqueKey("fifo");
      const held = await provider().getLock(key).acquire();
      const order: number[] = [];
      const waits: Promise<void>[] = [];
      for (let i = 0; i < 6; i++) {
        const node = provider();
        waits.push(
          node
            .getLock(key)
            .acquire({ timeout: 20_000 })
            .then(async (handle) => {
              order.push(i);
              await handle.release();
            }),
        );
        // The next node arrives only once this one waits on the server.
        await waitingConnection(connection, node);
      }
      await held.release();
      await Promise.all(waits);
      expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    });
  });

  describe("cancellation", () => {
    it("KILL QUERY ends a blocking GET_LOCK promptly and the waiting connection is clean", async () => {
      const [a, b] = [provider(), provider()];
      const connection = await admin();
      const key = uniqueKey("cancel");
      const held = await a.getLock(key).acquire();
      const controller = new AbortController();
      const waiting = b
        .getLock(key)
        .acquire({ signal: controller.signal })
        .catch((error: unknown) => error);
      // Wait until the server reports the GET_LOCK wait on b's connection.
      const waiter = await waitingConnection(connection, b);
      const reason = new Error("stop waiting");
      const abortedAt = performance.now();
      controller.abort(reason);
      expect(await waiting).toBe(reason);
      const rejectedAfter = performance.now() - abortedAt;
      await eventually(
        async () => !(await stateOf(connection, waiter))?.includes("GET_LOCK"),
        2_000,
        "GET_LOCK ended on the server",
      );
      const serverAfter = performance.now() - abortedAt;
      console.log(
        `KILL QUERY cancellation: rejected after ${rejectedAfter.toFixed(1)} ms, server-side wait gone within ${serverAfter.toFixed(1)} ms`,
      );
      expect(rejectedAfter).toBeLessThan(500);
      // Nothing left behind: the holder's release is not granted to the cancelled wait.
      await held.release();
      const third = provider();
      const next = await third.getLock(key).tryAcquire();
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
        // Abort and release at (almost) the same time, in varying order.
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
    it("after release, cancellation and timeouts no pooled connection holds a user lock", async () => {
      const pool = mysql.createPool({ uri: server!.url, connectionLimit: 3 });
      later(() => new Promise((resolve) => pool.end(resolve)));
      const mine = provider({ pool });
      const other = provider();
      const key = uniqueKey("hygiene");
      for (let i = 0; i < 5; i++) {
        const handle = await mine.getLock(`${key}:${i}`).acquire();
        await handle.release();
      }
      const blocker = await other.getLock(key).acquire();
      expect(await mine.getLock(key).tryAcquire({ timeout: 100 })).toBeUndefined();
      const controller = new AbortController();
      const cancelled = mine
        .getLock(key)
        .acquire({ signal: controller.signal })
        .catch(() => {});
      setTimeout(() => controller.abort(), 100);
      await cancelled;
      await blocker.release();
      const last = await mine.getLock(key).acquire();
      await last.release();
      // Check out every pooled connection: each must hold nothing.
      const connections = await Promise.all(
        Array.from(
          { length: 3 },
          () =>
            new Promise<mysql.PoolConnection>((resolve, reject) =>
              pool.getConnection((error, connection) =>
                error ? reject(error) : resolve(connection),
              ),
            ),
        ),
      );
      for (const connection of connections) {
        const [rows] = await connection.promise().query({
          sql: "SELECT RELEASE_ALL_LOCKS()",
          rowsAsArray: true,
        });
        expect((rows as unknown[][])[0]?.[0]).toBe(0);
        connection.release();
      }
    });

    it("an exhausted pool still honours timeouts and cancellation", async () => {
      const pool = mysql.createPool({ uri: server!.url, connectionLimit: 1 });
      later(() => new Promise((resolve) => pool.end(resolve)));
      const locks = provider({ pool });
      const held = await locks.getLock(uniqueKey("only-connection")).acquire();
      const started = performance.now();
      const timedOut = await locks
        .getLock(uniqueKey("other"))
        .acquire({ timeout: 200 })
        .catch((error: unknown) => error);
      expect(timedOut).toBeInstanceOf(LockTimeoutError);
      expect(performance.now() - started).toBeLessThan(1_000);
      const cancelled = locks
        .getLock(uniqueKey("other"))
        .acquire({ signal: AbortSignal.timeout(100) })
        .catch((error: unknown) => error);
      expect(((await cancelled) as Error).name).toBe("TimeoutError");
      await held.release();
      // The connection is back and usable.
      const next = await locks.getLock(uniqueKey("after")).acquire({ timeout: 2_000 });
      await next.release();
    });

    it("a pooled connection that died unnoticed while idle is replaced, not reported as a failure", async () => {
      const pool = mysql.createPool({ uri: server!.url, connectionLimit: 1 });
      later(() => new Promise((resolve) => pool.end(resolve)));
      const locks = provider({ pool });
      const first = await locks.getLock(uniqueKey("stale")).acquire();
      await first.release();
      // The pooled connection: stop reading its socket (so the client misses the server's FIN),
      // kill it on the server, and make it look idle for a minute.
      const pooled = await new Promise<mysql.PoolConnection>((resolve, reject) =>
        pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))),
      );
      const id = pooled.threadId;
      (pooled as unknown as { stream: { pause(): void } }).stream.pause();
      pooled.release();
      const connection = await admin();
      await connection.query(`KILL ${id}`);
      (pooled as unknown as { lastActiveTime: number }).lastActiveTime = Date.now() - 60_000;
      const handle = await locks.getLock(uniqueKey("stale")).acquire({ timeout: 5_000 });
      expect(locks.connectionIds()).not.toContain(id);
      await handle.release();
    });

    it("never closes a pool it was given", async () => {
      const pool = mysql.createPool({ uri: server!.url, connectionLimit: 2 });
      later(() => new Promise((resolve) => pool.end(resolve)));
      const locks = provider({ pool });
      const handle = await locks.getLock(uniqueKey("given-pool")).acquire();
      await handle.release();
      await locks.close();
      const [rows] = await pool.promise().query({ sql: "SELECT 1", rowsAsArray: true });
      expect(rows).toEqual([[1]]);
    });

    it("accepts a mysql2/promise pool", async () => {
      const pool = mysql.createPool({ uri: server!.url, connectionLimit: 2 }).promise();
      later(() => pool.end());
      const locks = provider({ pool });
      const handle = await locks.getLock(uniqueKey("promise-pool")).acquire();
      expect(handle.fencingToken).toBeGreaterThan(0n);
      await handle.release();
    });
  });

  describe("loss detection", () => {
    it("KILL of the holder's connection fires the lost signal and another node acquires", async () => {
      const [a, b] = [provider(), provider()];
      const connection = await admin();
      const key = uniqueKey("kill");
      const handle = await a.getLock(key).acquire();
      const holder = await holderOf(connection, key);
      expect(holder).not.toBeNull();
      const waiting = b.getLock(key).acquire({ timeout: 5_000 });
      const killedAt = performance.now();
      await connection.query(`KILL ${holder}`);
      const reason = await abortedWithin(handle.signal, 3_000);
      console.log(`lost signal ${(performance.now() - killedAt).toFixed(1)} ms after KILL`);
      expect(reason).toBeInstanceOf(LockLostError);
      expect(handle.lost).toBe(true);
      await expect(handle.extend()).rejects.toBeInstanceOf(LockLostError);
      await handle.release();
      const next = await waiting;
      expect(next.fencingToken! > handle.fencingToken!).toBe(true);
      await next.release();
    });

    it("a silent network (paused proxy) is reported lost within validateInterval + validateTimeout", async () => {
      const proxy = await startTcpProxy({ host: server!.host, port: server!.port });
      later(() => proxy.close());
      const url = new URL(server!.url);
      url.hostname = proxy.host;
      url.port = String(proxy.port);
      const locks = provider({ url: url.href, validateInterval: 200, validateTimeout: 500 });
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
      // Once the proxy drops the server side too, the server frees the lock.
      proxy.resume();
      proxy.dropConnections();
      const other = provider();
      const next = await other.getLock(key).acquire({ timeout: 5_000 });
      await next.release();
    });
  });

  describe("errors", () => {
    it("a deadlock between user locks rejects with MySqlLockDeadlockError", async () => {
      // The pool's only connection keeps a user lock of the application's own (a leak):
      // waiting on it for a lock whose holder waits for that user lock closes a cycle.
      const pool = mysql.createPool({ uri: server!.url, connectionLimit: 1 });
      later(() => new Promise((resolve) => pool.end(resolve)));
      const appLock = uniqueKey("app-lock");
      await pool.promise().query("SELECT GET_LOCK(?, 0)", [appLock]);
      const locks = provider({ pool });
      const key = uniqueKey("deadlock");
      const other = await admin();
      await other.query("SELECT GET_LOCK(?, 0)", [mysqlLockName(backendKey("", key))]);
      const otherWait = other.query("SELECT GET_LOCK(?, 10)", [appLock]).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 200));
      const outcome = await locks
        .getLock(key)
        .acquire({ timeout: 5_000 })
        .catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(MySqlLockDeadlockError);
      expect((outcome as MySqlLockDeadlockError).cause).toMatchObject({
        errno: expect.any(Number),
      });
      await pool.promise().query("SELECT RELEASE_ALL_LOCKS()");
      await otherWait;
    });

    it("connection failures are LockBackendError with the driver error as cause", async () => {
      const locks = provider({
        url: "mysql://root@127.0.0.1:1/none",
        poolOptions: { connectTimeout: 2_000 },
      });
      const outcome = await locks
        .getLock("k")
        .tryAcquire()
        .catch((error: unknown) => error);
      expect((outcome as Error).name).toBe("LockBackendError");
      expect((outcome as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
    });
  });

  describe("driver memory", () => {
    it("many distinct keys do not grow the heap (no row parser compiled per lock name)", async () => {
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as () => void;
      const locks = provider();
      const cycle = async (key: string) => {
        const handle = await locks.getLock(key).acquire();
        await handle.extend(); // the ownership check statement too
        await handle.release();
      };
      const base = uniqueKey("heap");
      for (let i = 0; i < 100; i++) await cycle(`${base}:warm:${i}`);
      gc();
      const before = process.memoryUsage().heapUsed;
      const keys = 1_500;
      for (let i = 0; i < keys; i++) await cycle(`${base}:${i}`);
      gc();
      const perKey = (process.memoryUsage().heapUsed - before) / keys;
      console.log(`heap growth over ${keys} distinct keys: ${perKey.toFixed(0)} B per key`);
      // A row parser per statement and key costs ~3.5 KB each, three statements per cycle.
      expect(perKey).toBeLessThan(1_000);
    });
  });

  describe("fencing", () => {
    /** A fence table of its own, dropped after the test. */
    async function fenceTable(connection: mysqlPromise.Connection): Promise<string> {
      const table = `locks_fence_${Math.random().toString(36).slice(2, 10)}`;
      later(() => connection.query(`DROP TABLE IF EXISTS \`${table}\``));
      return table;
    }

    /** The server's clock in µs since the epoch, as the fence statement reads it. */
    async function serverMicros(connection: mysqlPromise.Connection): Promise<bigint> {
      const sql = "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6))";
      return BigInt(String(await scalar(connection, sql)));
    }

    it("creates a MEMORY table on first use and hands out strictly increasing tokens from the server clock", async () => {
      const connection = await admin();
      const table = await fenceTable(connection);
      const [a, b] = [provider({ fenceTable: table }), provider({ fenceTable: table })];
      const key = uniqueKey("fence");
      const start = await serverMicros(connection);
      const tokens: bigint[] = [];
      for (let i = 0; i < 6; i++) {
        // Both paths: the one-statement grant (acquire of a free key, tryAcquire) and the token
        // taken after a blocking wait (a = contended below).
        const handle = await (i % 2 ? a : b).getLock(key).acquire();
        tokens.push(handle.fencingToken!);
        await handle.release();
      }
      const held = await a.getLock(key).acquire();
      const waiting = b.getLock(key).acquire();
      await waitingConnection(connection, b);
      await held.release();
      const next = await waiting;
      tokens.push(held.fencingToken!, next.fencingToken!);
      await next.release();
      const end = await serverMicros(connection);
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
      expect(tokens[0]! >= start && tokens.at(-1)! <= end).toBe(true);
      expect(Number(await scalar(connection, `SELECT COUNT(*) FROM \`${table}\``))).toBe(1);
      const engine = await scalar(
        connection,
        "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
        [table],
      );
      expect(engine).toBe("MEMORY");
    });

    it("a woken wait brings its token in the same reply when the pool takes statement lists, and in a second statement when not", async () => {
      const connection = await admin();
      const table = await fenceTable(connection);
      const holder = provider({ fenceTable: table });
      for (const multipleStatements of [true, false]) {
        const pool = mysql.createPool({ uri: server!.url, connectionLimit: 4, multipleStatements });
        later(() => new Promise((resolve) => pool.end(resolve)));
        // Every statement the waiter's connections send, text or prepared.
        const sent: string[] = [];
        pool.on("connection", (conn) => {
          for (const method of ["query", "execute"] as const) {
            const original = conn[method] as (...args: unknown[]) => unknown;
            (conn as unknown as Record<string, unknown>)[method] = function (
              this: unknown,
              ...args: unknown[]
            ) {
              const options = args[0] as string | { sql: string };
              sent.push(typeof options === "string" ? options : options.sql);
              return original.apply(this, args);
            };
          }
        });
        const waiter = provider({ pool, fenceTable: table });
        const key = uniqueKey(`woken-${multipleStatements}`);
        const held = await holder.getLock(key).acquire();
        const waiting = waiter.getLock(key).acquire();
        await waitingConnection(connection, waiter);
        await held.release();
        const next = await waiting;
        expect(next.fencingToken! > held.fencingToken!).toBe(true);
        const waits = sent.filter((sql) => sql.includes("GET_LOCK(?, ?)"));
        const tokens = sent.filter((sql) =>
          sql.startsWith(`INSERT INTO \`${table}\` (name, fence) VALUES`),
        );
        expect(waits).toHaveLength(1);
        if (multipleStatements) {
          expect(waits[0]).toMatch(/^SELECT GET_LOCK\(\?, \?\) AS got; INSERT INTO /);
          expect(tokens).toHaveLength(0);
        } else {
          expect(waits[0]).toBe("SELECT GET_LOCK(?, ?) AS got");
          expect(tokens).toHaveLength(1);
        }
        await next.release();
      }
    });

    it("a fence table dropped while a woken wait's statements run is created again, and the token still rises", async () => {
      const connection = await admin();
      const table = await fenceTable(connection);
      // The waiter's pool takes statement lists, so its wait and token are one query.
      const a = provider({ fenceTable: table });
      const b = provider({
        url: server!.url,
        poolOptions: { multipleStatements: true },
        fenceTable: table,
      });
      const key = uniqueKey("dropped-waiting");
      const held = await a.getLock(key).acquire();
      const waiting = b.getLock(key).acquire();
      await waitingConnection(connection, b);
      await connection.query(`DROP TABLE \`${table}\``);
      await held.release();
      const next = await waiting;
      expect(next.fencingToken! > held.fencingToken!).toBe(true);
      expect(await holderOf(connection, key)).not.toBeNull();
      expect(Number(await scalar(connection, `SELECT COUNT(*) FROM \`${table}\``))).toBe(1);
      await next.release();
      expect(await holderOf(connection, key)).toBeNull();
    });

    it("a token never falls below the previous one, even when the clock is behind it (previous + 1)", async () => {
      const connection = await admin();
      const table = await fenceTable(connection);
      const locks = provider({ fenceTable: table });
      const key = uniqueKey("ahead");
      const first = await locks.getLock(key).acquire();
      await first.release();
      // As if the server clock had stepped back by a day since that grant.
      const day = 86_400_000_000n;
      await connection.query(`UPDATE \`${table}\` SET fence = fence + ${day}`);
      const second = await locks.getLock(key).acquire();
      await second.release();
      expect(second.fencingToken).toBe(first.fencingToken! + day + 1n);
    });

    it("an emptied table (a server restart empties MEMORY tables) still gives larger tokens", async () => {
      const connection = await admin();
      const table = await fenceTable(connection);
      const locks = provider({ fenceTable: table });
      const key = uniqueKey("emptied");
      const first = await locks.getLock(key).acquire();
      await first.release();
      await connection.query(`DELETE FROM \`${table}\``);
      const second = await locks.getLock(key).tryAcquire();
      await second!.release();
      expect(second!.fencingToken! > first.fencingToken!).toBe(true);
    });

    it("a fence table dropped while its statements are prepared on pooled connections is created again", async () => {
      const connection = await admin();
      const table = await fenceTable(connection);
      const locks = provider({ fenceTable: table });
      const key = uniqueKey("dropped");
      const tokens: bigint[] = [];
      for (let round = 0; round < 2; round++) {
        // Acquire and release prepare the grant and release statements on the pooled connection.
        for (let i = 0; i < 3; i++) {
          const handle = await locks.getLock(key).acquire();
          tokens.push(handle.fencingToken!);
          await handle.release();
        }
        await connection.query(`DROP TABLE \`${table}\``);
      }
      const last = await locks.getLock(key).tryAcquire();
      tokens.push(last!.fencingToken!);
      await last!.release();
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
      expect(Number(await scalar(connection, `SELECT COUNT(*) FROM \`${table}\``))).toBe(1);
    });

    it("a full table purges rows the clock passed long ago, and the grant goes through", async () => {
      const connection = await admin();
      const table = await fenceTable(connection);
      // A MEMORY table's size limit is max_heap_table_size when it is created: make a tiny one.
      await connection.query("SET SESSION max_heap_table_size = 16384");
      await connection.query(fenceTableDdl(`\`${table}\``));
      let rows = 0;
      for (;;) {
        const insert = `INSERT INTO \`${table}\` (name, fence) VALUES (?, 1)`;
        const full = await connection.query(insert, [`old:${rows}`]).then(
          () => false,
          (error: { errno?: number }) => error.errno === 1114,
        );
        if (full) break;
        rows++;
        expect(rows).toBeLessThan(100_000);
      }
      const locks = provider({ fenceTable: table });
      const key = uniqueKey("full");
      const handle = await locks.getLock(key).acquire();
      await handle.release();
      expect(handle.fencingToken! > 1n).toBe(true);
      const left = Number(await scalar(connection, `SELECT COUNT(*) FROM \`${table}\``));
      expect(left).toBe(1);
    });

    it("keeps working on a fence table created earlier as InnoDB (tokens continue upwards)", async () => {
      const connection = await admin();
      const table = await fenceTable(connection);
      await connection.query(
        fenceTableDdl(`\`${table}\``).replace("ENGINE=MEMORY", "ENGINE=InnoDB"),
      );
      const key = uniqueKey("innodb");
      await connection.query(`INSERT INTO \`${table}\` (name, fence) VALUES (?, 41)`, [
        mysqlLockName(backendKey("", key)),
      ]);
      const locks = provider({ fenceTable: table });
      const handle = await locks.getLock(key).acquire();
      await handle.release();
      expect(handle.fencingToken! > 41n).toBe(true);
    });
  });
});
