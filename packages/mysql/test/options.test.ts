import { LockBackendError } from "@locks/core";
import mysql from "mysql2";
import { describe, expect, it } from "vitest";
import {
  createMySqlLockProvider,
  fenceTableDdl,
  isDeadlockError,
  MySqlLockDeadlockError,
  MySqlLockProvider,
} from "../src/index.js";
import { isRetryableMySqlError } from "../src/retryable.js";
import { waitSeconds } from "../src/user-lock.js";

describe("createMySqlLockProvider options", () => {
  it("needs exactly one way to reach the server", () => {
    expect(() => createMySqlLockProvider({})).toThrow(/url, poolOptions or pool/);
    const pool = mysql.createPool({ host: "127.0.0.1" });
    expect(() => createMySqlLockProvider({ pool, url: "mysql://127.0.0.1/x" })).toThrow(
      /either pool/,
    );
    expect(() => createMySqlLockProvider({ pool: {} as mysql.Pool })).toThrow(/mysql2 pool/);
    pool.end();
  });

  it("rejects bad durations and table names, naming the option", () => {
    const url = "mysql://127.0.0.1/x";
    expect(() => createMySqlLockProvider({ url, validateInterval: 0 })).toThrow(/validateInterval/);
    expect(() => createMySqlLockProvider({ url, validateTimeout: -1 })).toThrow(/validateTimeout/);
    expect(() => createMySqlLockProvider({ url, waitChunk: Number.NaN })).toThrow(/waitChunk/);
    expect(() => createMySqlLockProvider({ url, waitChunk: 500 })).toThrow(/waitChunk/);
    expect(() => createMySqlLockProvider({ url, ttl: -5 })).toThrow(RangeError);
    expect(() => createMySqlLockProvider({ url, fenceTable: "x`; DROP TABLE y" })).toThrow(
      /fenceTable/,
    );
    expect(() => createMySqlLockProvider({ url, fenceTable: "a.b.c" })).toThrow(/fenceTable/);
  });

  it("rejects an unknown option key with a TypeError naming it, before any I/O", () => {
    const url = "mysql://127.0.0.1:1/x";
    expect(() => createMySqlLockProvider({ url, fenceTabel: "x" } as never)).toThrow(
      /unknown option "fenceTabel"/,
    );
    expect(() => createMySqlLockProvider({ url, timeout: 5 } as never)).toThrow(TypeError);
  });

  it("rejects durations a Node timer cannot hold", () => {
    const url = "mysql://127.0.0.1:1/x";
    expect(() => createMySqlLockProvider({ url, validateInterval: 2 ** 31 })).toThrow(
      /validateInterval must be at most/,
    );
    expect(() => createMySqlLockProvider({ url, validateTimeout: 2 ** 31 })).toThrow(
      /validateTimeout/,
    );
    expect(() => createMySqlLockProvider({ url, waitChunk: 2 ** 31 - 1 })).toThrow(/waitChunk/);
  });

  it("new MySqlLockProvider(options) is the same as the factory, validation included", async () => {
    const url = "mysql://127.0.0.1:1/x";
    const made = new MySqlLockProvider({ url, prefix: "p:", validateInterval: 250 });
    expect(made).toBeInstanceOf(MySqlLockProvider);
    const factoryMade = createMySqlLockProvider({ url });
    expect(made.capabilities).toEqual(factoryMade.capabilities);
    await factoryMade.close();
    expect(() => new MySqlLockProvider({ url, ttl: -1 })).toThrow(RangeError);
    expect(() => new MySqlLockProvider({} as never)).toThrow(/url, poolOptions or pool/);
    await made.close();
  });

  it("reports the capabilities of connection-bound locks", async () => {
    const provider = createMySqlLockProvider({ url: "mysql://127.0.0.1/x" });
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

describe("waitSeconds", () => {
  it("passes milliseconds as fractional seconds to servers that honour them", () => {
    expect(waitSeconds(250, true, 3_600_000)).toBe(0.25);
    expect(waitSeconds(0.4, true, 3_600_000)).toBe(0.001);
    expect(waitSeconds(0, true, 3_600_000)).toBe(0);
  });

  it("passes whole seconds to servers that round (sub-second rests are polled)", () => {
    expect(waitSeconds(2_999, false, 3_600_000)).toBe(2);
    expect(waitSeconds(999, false, 3_600_000)).toBe(0);
  });

  it("splits long and infinite waits into chunks, never a negative (MySQL: forever; MariaDB: NULL)", () => {
    expect(waitSeconds(Number.POSITIVE_INFINITY, true, 3_600_000)).toBe(3_600);
    expect(waitSeconds(Number.POSITIVE_INFINITY, false, 1_500)).toBe(1);
    expect(waitSeconds(-10, false, 3_600_000)).toBe(0);
  });
});

describe("errors", () => {
  it("recognises MySQL 3058 and MariaDB 1213 as deadlocks", () => {
    expect(isDeadlockError({ errno: 3058 })).toBe(true);
    expect(isDeadlockError({ errno: 1213 })).toBe(true);
    expect(isDeadlockError({ errno: 1205 })).toBe(false);
    expect(isDeadlockError(new Error("x"))).toBe(false);
    const error = new MySqlLockDeadlockError("k", { errno: 3058 });
    expect(error).toBeInstanceOf(LockBackendError);
    expect(error.key).toBe("k");
    expect(error.backend).toBe("mysql");
    expect(error.cause).toEqual({ errno: 3058 });
  });

  it("documents the fence table DDL with a quoted name", () => {
    expect(fenceTableDdl("`app`.`fences`")).toMatch(
      /^CREATE TABLE IF NOT EXISTS `app`\.`fences` \(/,
    );
  });
});

describe("isRetryableMySqlError", () => {
  it("retries broken connections and a server going away, not configuration or deadlocks", () => {
    for (const error of [
      { code: "PROTOCOL_CONNECTION_LOST" },
      { code: "ECONNREFUSED" },
      { code: "QUERY_TIMEOUT" },
      { errno: 1927 }, // MariaDB: connection killed
      { errno: 1053 }, // server shutdown
      new Error("wrapped", { cause: { code: "ECONNRESET" } }),
    ]) {
      expect(isRetryableMySqlError(error)).toBe(true);
    }
    for (const error of [
      { errno: 1045 }, // access denied
      { errno: 1049 }, // unknown database
      new MySqlLockDeadlockError("k", { errno: 3058 }),
      new Error("GET_LOCK returned NULL"),
      undefined,
    ]) {
      expect(isRetryableMySqlError(error)).toBe(false);
    }
  });
});
