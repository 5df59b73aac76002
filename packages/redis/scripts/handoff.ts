/**
 * Hand-off latency: 16 contenders (one provider each, as 16 nodes would be) loop on one key;
 * measures the time from one holder calling release() to another holder's acquire() resolving.
 * Starts its own loopback redis-server processes and stops them at the end.
 *
 *   pnpm --filter @locks/redis handoff [-- --handoffs 2000 --contenders 16]
 */
import { parseArgs } from "node:util";
import { createRedisLockProvider, type RedisLockProviderOptions } from "../src/index.js";
import { startCluster, startRedis } from "./local-redis.js";

const { values } = parseArgs({
  options: {
    handoffs: { type: "string", default: "2000" },
    contenders: { type: "string", default: "16" },
  },
});
const handoffs = Number(values.handoffs);
const contenders = Number(values.contenders);

async function measure(label: string, options: RedisLockProviderOptions) {
  const providers = Array.from({ length: contenders }, () => createRedisLockProvider(options));
  const key = `handoff:${label}:${Date.now()}`;
  const samples: number[] = [];
  let releasedAt: number | undefined;
  let lastHolder = -1;
  let selfReacquired = 0;
  let done = 0;
  const contender = async (index: number) => {
    const lock = providers[index]!.getLock(key, { ttl: 10_000 });
    while (done < handoffs) {
      const handle = await lock.acquire();
      const acquiredAt = performance.now();
      // Only a hand-off to another contender counts (the releaser may win its own key back).
      if (releasedAt !== undefined && index !== lastHolder) samples.push(acquiredAt - releasedAt);
      else if (releasedAt !== undefined) selfReacquired++;
      lastHolder = index;
      done++;
      releasedAt = performance.now();
      await handle.release();
      // Yield so that this contender does not immediately win the key again on its own turn.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const started = performance.now();
  await Promise.all(providers.map((_, i) => contender(i)));
  const elapsed = performance.now() - started;
  await Promise.all(providers.map((p) => p.close()));
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))]!;
  return {
    topology: label,
    contenders,
    handoffs: samples.length,
    selfReacquired,
    medianMs: Number(pct(0.5).toFixed(3)),
    p99Ms: Number(pct(0.99).toFixed(3)),
    maxMs: Number(samples[samples.length - 1]!.toFixed(3)),
    throughputPerSec: Math.round((samples.length / elapsed) * 1000),
  };
}

const single = await startRedis();
const redlock = await Promise.all([startRedis(), startRedis(), startRedis()]);
const cluster = await startCluster();
try {
  const rows = [
    await measure("single", { url: single.url }),
    await measure("redlock-3", { urls: redlock.map((s) => s.url) }),
    await measure("cluster", { cluster: cluster.startupNodes }),
  ];
  console.table(rows);
  console.log(JSON.stringify(rows));
} finally {
  await Promise.all([single.stop(), ...redlock.map((s) => s.stop()), cluster.stop()]);
}
