/**
 * The conformance suite against Redlock over 3 and over 5 independent Redis servers from
 * `@locks/testing`, with ioredis 5 (RESP2) and ioredis 6 (RESP3). Fencing scenarios are skipped:
 * Redlock has no fencing tokens (see the @locks/redis README).
 *
 * Both sizes live in this one file on purpose: `redisServers(3)` is the first three servers of
 * the pool `redisServers(5)` returns, and the fault scenarios restart and pause them; two files
 * running in parallel would fault each other's servers. With `LOCKS_CONFORMANCE_VARIANTS=one`,
 * 3 servers with ioredis 5 only.
 */
import { fileURLToPath } from "node:url";
import { describeLockProvider } from "@locks/conformance";
import { redisServers, unavailableReason } from "@locks/testing";
import { afterAll, describe, it } from "vitest";
import {
  createProvider,
  driverLabel,
  type RedisChildOptions,
  redisFaults,
} from "../providers/redis.js";
import { selectVariants } from "../variants.js";

const pool = await redisServers(5);

if (!pool) {
  describe("redis (redlock)", () => {
    it("has a server to run against", (context) =>
      context.skip(`no Redis servers: ${unavailableReason("redis-servers")}`));
  });
} else {
  const variants = [3, 5].flatMap((size) =>
    (["ioredis", "ioredis6"] as const).map((driver) => ({ size, driver })),
  );
  const name = ({ size, driver }: (typeof variants)[number]) =>
    `redis (redlock, ${size} servers, ${pool[0]!.mode}, ${driverLabel(driver)})`;
  // One set of fault hooks per size, shared by its drivers.
  const faultsOf = new Map<number, ReturnType<typeof redisFaults>>();
  for (const { size, driver } of selectVariants(variants, variants[0]!, name)) {
    const servers = pool.slice(0, size);
    let faults = faultsOf.get(size);
    if (!faults) {
      const created = redisFaults(servers);
      afterAll(() => created.close());
      faultsOf.set(size, created);
      faults = created;
    }
    const options: RedisChildOptions = {
      topology: "redlock",
      urls: servers.map((s) => s.url),
      driver,
    };
    describeLockProvider({
      name: name({ size, driver }),
      createProvider: (o) => createProvider({ ...options, ...o }),
      faults,
      child: {
        module: fileURLToPath(new URL("../providers/redis.ts", import.meta.url)),
        options: { ...options },
      },
    });
  }
}
