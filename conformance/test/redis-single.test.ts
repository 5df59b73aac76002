/**
 * The conformance suite against one Redis server from `@locks/testing`, with ioredis 5 (RESP2)
 * and ioredis 6 (RESP3). Each provider connects through a loopback proxy of its own, so that the
 * `partition` hook can cut one node off silently while the others keep talking to the server.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import type { RedisLockProvider } from "@locks/redis";
import { providerProxies, redisServer, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import { createProvider, type RedisChildOptions, redisFaults } from "../providers/redis.js";

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
  for (const driver of ["ioredis", "ioredis6"] as const) {
    const options: RedisChildOptions = { topology: "single", urls: [server.url], driver };
    describeLockProvider({
      name: `redis (single ${server.version ?? ""}, ${server.mode}, ${driver === "ioredis" ? "ioredis 5, RESP2" : "ioredis 6, RESP3"})`,
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
