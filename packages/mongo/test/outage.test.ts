import { startTcpProxy, type TcpProxy } from "@locks/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createMongoLockProvider, type MongoLockProvider } from "../src/index.js";
import { type Target, targetsOrSkip, testDatabase } from "./server.js";

const targets = await targetsOrSkip();

/** Outages made with a loopback TCP proxy in front of the server (paused = unreachable). */
describe.skipIf(targets.length === 0).each(targets)(
  "on $name, through a paused proxy",
  (target: Target) => {
    const { database } = testDatabase(target, "outage");
    const cleanups: Array<() => Promise<unknown>> = [];
    let proxy: TcpProxy;

    async function nodeBehindProxy(serverSelectionTimeoutMS: number): Promise<MongoLockProvider> {
      proxy = await startTcpProxy({ host: target.server.host, port: target.server.port });
      const url = `mongodb://${proxy.host}:${proxy.port}/?directConnection=true`;
      const client = target.client({ url, serverSelectionTimeoutMS });
      const provider = createMongoLockProvider({ client, database });
      const p = proxy;
      cleanups.push(
        () => provider.close(),
        () => client.close(),
        () => p.close(),
      );
      return provider;
    }

    afterEach(async () => {
      proxy?.resume();
      for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
    });

    it("recovers when its first operation ran while the server was unreachable", async () => {
      const provider = await nodeBehindProxy(500);
      proxy.pause();
      const key = `first-outage-${Math.random()}`;
      // Longer than the server selection timeout: the driver's implicit connect gives up.
      await expect(provider.getLock(key).tryAcquire()).rejects.toThrow();
      await expect(provider.getLock(key).tryAcquire()).rejects.toThrow();
      proxy.resume();
      const handle = await provider.getLock(key).tryAcquire();
      expect(handle).toBeDefined();
      await handle!.release();
    });

    it("the release of a lost handle during an outage returns at once", async () => {
      // The driver alone would wait for its server selection timeout (10 s here).
      const provider = await nodeBehindProxy(10_000);
      await provider.ready();
      const key = `release-outage-${Math.random()}`;
      const handle = await provider.getLock(key, { ttl: 600 }).acquire();
      proxy.pause();
      // The lease runs out without a renewal getting through: the handle is lost.
      await new Promise((resolve) => handle.signal.addEventListener("abort", resolve));
      const started = performance.now();
      await handle.release(); // never throws for a lost handle
      expect(performance.now() - started).toBeLessThan(500);
    });

    it("the release of a held handle during an outage waits no longer than its lease", async () => {
      const provider = await nodeBehindProxy(10_000);
      await provider.ready();
      const key = `release-held-outage-${Math.random()}`;
      const handle = await provider.getLock(key, { ttl: 1_500, autoExtend: false }).acquire();
      proxy.pause();
      const started = performance.now();
      // The server cannot be told; the lease ends by itself, and release() says nothing worse.
      await handle.release();
      expect(performance.now() - started).toBeLessThan(1_500 + 1_000);
      proxy.resume();
      const next = await provider.getLock(key).acquire({ timeout: 5_000 });
      await next.release();
    });
  },
);
