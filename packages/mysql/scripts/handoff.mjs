// Hand-off latency: N contenders (one provider each, as separate nodes) loop on one key; each
// hand-off is measured from the moment the holder calls release() to the moment the next holder's
// acquire() resolves. Usage: node scripts/handoff.mjs [contenders=16] [handoffs=400]
// Server: LOCKS_MYSQL_URL, else whatever @locks/testing finds (container or local mariadbd).
import { randomUUID } from "node:crypto";
import { createTestServers } from "@locks/testing";
import { createMySqlLockProvider } from "../dist/index.js";

const contenders = Number(process.argv[2] ?? 16);
const handoffs = Number(process.argv[3] ?? 400);
const servers = createTestServers({ broker: false });
const server = await servers.mysqlServer();
if (!server) {
  console.error(`no MySQL server: ${servers.unavailableReason("mysql")}`);
  process.exit(1);
}
const key = `handoff:${randomUUID()}`;
const providers = Array.from({ length: contenders }, () =>
  createMySqlLockProvider({ url: server.url }),
);
// Warm up: one grant per provider opens its connections and creates the fence table.
for (const provider of providers) await (await provider.getLock(`${key}:warm`).acquire()).release();

const samples = [];
let releasedAt;
let grants = 0;
let holding = false;
await Promise.all(
  providers.map(async (provider) => {
    const lock = provider.getLock(key);
    while (grants < handoffs + 1) {
      const handle = await lock.acquire();
      const now = performance.now();
      if (holding) throw new Error("two holders");
      holding = true;
      if (releasedAt !== undefined) samples.push(now - releasedAt);
      grants++;
      await new Promise((resolve) => setImmediate(resolve));
      holding = false;
      releasedAt = performance.now();
      await handle.release();
    }
  }),
);
await Promise.all(providers.map((provider) => provider.close()));
await servers.stop();

samples.sort((a, b) => a - b);
const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
console.log(
  JSON.stringify({
    server: `${server.version ?? "?"} (${server.mode})`,
    contenders,
    handoffs: samples.length,
    medianMs: Number(at(0.5).toFixed(2)),
    p99Ms: Number(at(0.99).toFixed(2)),
    maxMs: Number(samples[samples.length - 1].toFixed(2)),
  }),
);
