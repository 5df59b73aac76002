/**
 * Hand-off latency: 16 contenders (one provider each, as 16 nodes would be) loop on one key;
 * measures the time from one holder calling release() to another holder's acquire() resolving.
 * Takes its server from @locks/testing (LOCKS_MONGO_URL, a container, or a local mongod /
 * FerretDB it starts and stops).
 *
 *   pnpm --filter @locks/mongo handoff [-- --handoffs 500 --contenders 16]
 */
import { parseArgs } from "node:util";
import { createTestServers } from "@locks/testing";
import { createMongoLockProvider, type MongoLockProviderOptions } from "../src/index.js";

const { values } = parseArgs({
  options: {
    handoffs: { type: "string", default: "500" },
    contenders: { type: "string", default: "16" },
  },
});
const handoffs = Number(values.handoffs);
const contenders = Number(values.contenders);

async function measure(label: string, options: MongoLockProviderOptions) {
  const providers = Array.from({ length: contenders }, () => createMongoLockProvider(options));
  const features = await providers[0]!.ready();
  await Promise.all(providers.map((p) => p.ready()));
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
    path: label,
    protocol: features.protocol,
    clock: features.serverClock ? "server ($$NOW)" : "offset",
    wakeUp: features.changeStream ? "change stream" : "polling",
    contenders,
    handoffs: samples.length,
    selfReacquired,
    medianMs: Number(pct(0.5).toFixed(2)),
    p99Ms: Number(pct(0.99).toFixed(2)),
    maxMs: Number(samples[samples.length - 1]!.toFixed(2)),
    grantsPerSec: Math.round((done / elapsed) * 1000),
  };
}

const servers = createTestServers();
try {
  const server = await servers.mongoServer();
  if (!server) throw new Error("no MongoDB-compatible server available");
  console.log(`server: ${server.flavor} ${server.version ?? ""} (${server.mode})`);
  const database = `locks_handoff_${process.pid}`;
  const rows = [await measure("auto", { url: server.url, database })];
  if (server.flavor === "mongodb") {
    rows.push(
      await measure("offset clock, polling", {
        url: server.url,
        database,
        timeSource: "offset",
        changeStream: false,
      }),
    );
  }
  console.table(rows);
  console.log(JSON.stringify(rows));
} finally {
  await servers.stop();
}
