/**
 * The conformance suite against one Redis server from `@locks/testing`, with ioredis 5 (RESP2)
 * and ioredis 6 (RESP3). Each provider connects through a loopback proxy of its own, so that the
 * `partition` hook can cut one node off silently while the others keep talking to the server.
 * With `LOCKS_CONFORMANCE_VARIANTS=one`, ioredis 5 only.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import type { RedisLockProvider } from "@locks/redis";
import { providerProxies, redisServer, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import {
  createProvider,
  driverLabel,
  type RedisChildOptions,
  type RedisDriver,
  redisFaults,
} from "../providers/redis.js";
import { selectVariants } from "../variants.js";

const server = await redisServer();

if (!server) {
  describe("redis (single)", () => {
    it("has a server to run against", (context) =>
      context.skip(`no Redis server: ${unavailableReason("redis")}`));
  });
} else {
  const faults = redisFaults([server]);
  const proxies = providerProxies<RedisLockProvider>(server);
  afterAll(() => Promise.all([faults.close(), proxies.close()]));
  const via = (proxy: { host: string; port: number }) => {
    const url = new URL(server.url);
    url.hostname = proxy.host;
    url.port = String(proxy.port);
    return url.href;
  };
  const name = (driver: RedisDriver) =>
    `redis (single ${server.version ?? ""}, ${server.mode}, ${driverLabel(driver)})`;
  for (const driver of selectVariants(["ioredis", "ioredis6"] as const, "ioredis", name)) {
    const options: RedisChildOptions = { topology: "single", urls: [server.url], driver };
    describeLockProvider({
      name: name(driver),
      createProvider: (o) =>
        proxies.create((proxy) => createProvider({ ...options, urls: [via(proxy)], ...o })),
      faults: { ...faults, partition: proxies.partition },
      child: {
        module: fileURLToPath(new URL("../providers/redis.ts", import.meta.url)),
        options: { ...options },
      },
    });
  }
}
