import { LockBackendError } from "@locks/core";
import pg from "pg";
import { describe, expect, it } from "vitest";
import {
  createPostgresLockProvider,
  fenceTableDdl,
  isDeadlockError,
  isRetryablePostgresError,
  PostgresLockDeadlockError,
  PostgresLockProvider,
  PostgresSessionPoolerError,
} from "../src/index.js";

const connectionString = "postgres://127.0.0.1:1/x";

describe("createPostgresLockProvider options", () => {
  it("needs exactly one way to reach the server", async () => {
    expect(() => createPostgresLockProvider({})).toThrow(/connectionString, poolConfig or pool/);
    const pool = new pg.Pool({ host: "127.0.0.1" });
    expect(() => createPostgresLockProvider({ pool, connectionString })).toThrow(/either pool/);
    expect(() => createPostgresLockProvider({ pool: {} as pg.Pool })).toThrow(/node-postgres Pool/);
    expect(() => createPostgresLockProvider(null as never)).toThrow(TypeError);
    await pool.end();
  });

  it("rejects an unknown option naming it", () => {
    expect(() => createPostgresLockProvider({ connectionString, url: "x" } as never)).toThrow(
      /unknown option "url"/,
    );
  });

  it("rejects bad durations, booleans and table names, naming the option", () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ validateInterval: 0 }, /validateInterval/],
      [{ validateTimeout: -1 }, /validateTimeout/],
      [{ waitChunk: Number.NaN }, /waitChunk/],
      [{ waitChunk: 500 }, /waitChunk/],
      [{ waitChunk: 3e9 }, /waitChunk/],
      [{ ttl: -5 }, /ttl/],
      [{ autoExtend: "yes" }, /autoExtend/],
      [{ durableFences: 1 }, /durableFences/],
      [{ prefix: 5 }, /prefix/],
      [{ fenceTable: 'x"; DROP TABLE y' }, /fenceTable/],
      [{ fenceTable: "a.b.c" }, /fenceTable/],
      [{ connectionString: 5 }, /connectionString/],
      [{ connectionString, poolConfig: "x" }, /poolConfig/],
    ];
    for (const [options, message] of bad) {
      expect(() => createPostgresLockProvider({ connectionString, ...options } as never)).toThrow(
        message,
      );
    }
  });

  it("new PostgresLockProvider(options) is the same as the factory", async () => {
    const provider = new PostgresLockProvider({ connectionString, prefix: "app:" });
    expect(provider).toBeInstanceOf(PostgresLockProvider);
    expect(provider.prefix).toBe("app:");
    expect(() => new PostgresLockProvider({ connectionString, ttl: Number.NaN })).toThrow(/ttl/);
    await provider.close();
  });

  it("reports the capabilities of session-bound locks with a FIFO server queue", async () => {
    const provider = createPostgresLockProvider({ connectionString });
    expect(provider.capabilities).toEqual({
      leases: false,
      fencing: true,
      distributed: true,
      notifications: true,
      fairness: true,
    });
    await provider.close();
  });
});

describe("errors", () => {
  it("recognises 40P01 as a deadlock and wraps it typed", () => {
    expect(isDeadlockError({ code: "40P01" })).toBe(true);
    expect(isDeadlockError({ code: "55P03" })).toBe(false);
    expect(isDeadlockError(new Error("x"))).toBe(false);
    const error = new PostgresLockDeadlockError("k", { code: "40P01" });
    expect(error).toBeInstanceOf(LockBackendError);
    expect(error.key).toBe("k");
    expect(error.backend).toBe("postgres");
    expect(error.cause).toEqual({ code: "40P01" });
    expect(new PostgresSessionPoolerError("k", 1, 2).message).toMatch(/pooler/);
  });

  it("retries connection failures and server restarts, not bad statements or deadlocks", () => {
    const socketError = (code: string) => Object.assign(new Error(code), { code });
    const retryable = [
      socketError("ECONNREFUSED"),
      socketError("ECONNRESET"),
      { code: "QUERY_TIMEOUT" },
      { code: "08006" },
      { code: "57P01" },
      { code: "57P03" },
      { code: "53300" },
      new Error("Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"),
      new LockBackendError("wrapped", { key: "k", backend: "postgres", cause: { code: "57P01" } }),
    ];
    const fatal = [
      { code: "42P01" },
      { code: "42501" },
      { code: "40P01" },
      new PostgresSessionPoolerError("k", 1, 2),
      new Error("Cannot use a pool after calling end on the pool"),
      "text",
      undefined,
    ];
    for (const error of retryable)
      expect(isRetryablePostgresError(error), String(error)).toBe(true);
    for (const error of fatal) expect(isRetryablePostgresError(error), String(error)).toBe(false);
  });

  it("documents the fence table DDL with a quoted name", () => {
    expect(fenceTableDdl('"app"."fences"')).toMatch(
      /^CREATE TABLE IF NOT EXISTS "app"\."fences" \(/,
    );
  });
});
