import { LockLostError } from "@locks/core";
import { describe, expect, it } from "vitest";
import { createPostgresFaults } from "../src/faults.js";
import {
  abortedWithin,
  admin,
  holderOf,
  later,
  provider,
  server,
  skipReason,
  uniqueKey,
} from "./helpers.js";

const suite = skipReason ? `@locks/postgres/faults (${skipReason})` : "@locks/postgres/faults";

describe.skipIf(!server)(suite, () => {
  it("breakLock terminates the holder and resolves once the lock is free", async () => {
    const faults = createPostgresFaults({ connectionString: server!.url });
    later(() => faults.close());
    const [a, b] = [provider(), provider()];
    const key = uniqueKey("break");
    const handle = await a.getLock(key).acquire();
    await faults.breakLock(key);
    expect(await holderOf(await admin(), key)).toBeNull();
    expect(await abortedWithin(handle.signal, 2_000)).toBeInstanceOf(LockLostError);
    const next = await b.getLock(key).tryAcquire();
    expect(next).toBeDefined();
    await next!.release();
    await expect(faults.breakLock(uniqueKey("free"))).rejects.toThrow(/not locked/);
  });

  it("dropConnections terminates every session of one provider only", async () => {
    const faults = createPostgresFaults({ connectionString: server!.url });
    later(() => faults.close());
    const [a, b] = [provider(), provider()];
    const mine = await a.getLock(uniqueKey("drop")).acquire();
    const theirs = await b.getLock(uniqueKey("keep")).acquire();
    await faults.dropConnections(a);
    expect(await abortedWithin(mine.signal, 2_000)).toBeInstanceOf(LockLostError);
    await theirs.extend();
    expect(theirs.lost).toBe(false);
    await theirs.release();
    await expect(faults.dropConnections({} as never)).rejects.toThrow(TypeError);
  });
});
