/** The README's examples, run against the test server (the README says so: keep them in sync). */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createPostgresLockProvider, PostgresLockProvider } from "../src/index.js";
import { later, server, skipReason, uniqueKey } from "./helpers.js";

const suite = skipReason ? `README examples (${skipReason})` : "README examples";

describe.skipIf(!server)(suite, () => {
  it("quick start: acquire with a timeout, fencing token and signal in the critical section", async () => {
    const locks = createPostgresLockProvider({ connectionString: server!.url });
    later(() => locks.close());
    const seen: Array<{ fencingToken: bigint | undefined; aborted: boolean }> = [];
    const closeMonth = async (work: { fencingToken: bigint | undefined; signal: AbortSignal }) => {
      seen.push({ fencingToken: work.fencingToken, aborted: work.signal.aborted });
    };
    const key = uniqueKey("invoices:2024-06");
    {
      await using handle = await locks.getLock(key).acquire({ timeout: 5_000 });
      await closeMonth({ fencingToken: handle.fencingToken, signal: handle.signal });
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]!.fencingToken).toBeGreaterThan(0n);
    expect(seen[0]!.aborted).toBe(false);
    // Disposed at the end of the block: the key is free again.
    const again = await locks.getLock(key).tryAcquire();
    expect(again).toBeDefined();
    await again!.release();
  });

  it("an existing pool with a prefix; the class constructor is the same as the factory", async () => {
    const pool = new pg.Pool({ connectionString: server!.url, max: 30 });
    pool.on("error", () => {});
    later(() => pool.end());
    const locks = createPostgresLockProvider({ pool, prefix: "billing:" });
    const same = new PostgresLockProvider({ pool, prefix: "billing:" });
    later(() => locks.close());
    later(() => same.close());
    const key = uniqueKey("run");
    const handle = await locks.getLock(key).acquire();
    expect(await same.getLock(key).tryAcquire()).toBeUndefined();
    await handle.release();
    await locks.close();
    expect(pool.ended).toBe(false);
  });
});
